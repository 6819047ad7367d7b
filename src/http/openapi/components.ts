import { CONTROL_ACTIONS } from '../../core/order.js';
import { NEXT } from '../../core/transitions.js';
import { CASES } from '../../notify/conformance.js';
import { CONFORMANCE_INPUT_SCHEMA } from '../../app/conformance-runs.js';
import { ORDER_SCENARIO_SCHEMA, SCENARIO_FILE_SCHEMA } from '../../app/scenario-inputs.js';
import { Match, MerchantInput, RuleInput, SeedInput, SeedOrder, TOKENS } from '../../app/inputs.js';
import { anything, arr, bool, epochMs, exact, int, mapOf, nullable, num, ref, str, type Schema } from './schema.js';
import { ORDER_CREATING } from '../../core/endpoints.js';

/**
 * The records of the control API as component schemas: what `/__sandbox/*` answers and takes;
 * what it takes is app/inputs.ts, the schemas its input is checked against.
 * They are exact (no undocumented field passes), so test/openapi-control.test.ts fails when a
 * record gains a field this description does not name.
 */

const CHANNELS = [...ORDER_CREATING];
const STATUSES = Object.keys(NEXT);

const orderId = str('payjs_order_id: 25 digits, Beijing creation time + 00 + 9 digits', { pattern: '^[0-9]{25}$' });

const Order = exact({
  payjs_order_id: orderId,
  mchid: str(),
  out_trade_no: str(),
  total_fee: int('fen', { minimum: 1 }),
  'body?': str(),
  'attach?': str(),
  'notify_url?': str(),
  'callback_url?': str(),
  'type?': str('`alipay` for Alipay orders; absent for WeChat', { enum: ['alipay'] }),
  channel: str('the API surface that created the order', { enum: CHANNELS }),
  status: str(undefined, { enum: STATUSES }),
  created_at: epochMs('creation time'),
  expires_at: epochMs('an unpaid order closes at this time'),
  'openid?': str('the payer'),
  'transaction_id?': str('28 digits, set when paid'),
  'paid_at?': epochMs('payment time'),
  code: str('the token behind code_url, h5_url, prepay_id and the cashier page'),
  'options?': mapOf(str(), 'cashier display options as sent (auto, hide, logo), and no_credit'),
  history: arr(exact({
    event: str(undefined, { enum: ['create', 'pay', 'close', 'expire', 'reverse', 'refund', 'pay_failed', 'pay_cancelled'] }),
    at: epochMs('when'),
    status: str('the status after the event', { enum: STATUSES }),
  }), 'the order timeline, oldest first'),
  'scenario?': arr(str(), `${TOKENS} Chosen at creation, or applied later through POST /__sandbox/orders/{id}/scenario.`),
  'scenario_at?': epochMs('when tokens were last applied to the existing order (pay=auto:<s> counts from then)'),
}, 'An order as the sandbox holds it, in PAYJS field names.');

const attempt = {
  attempt: int('1-based over every attempt of the order', { minimum: 1 }),
  kind: str('`ladder` for the 0/15/30/180/1800/3600 s schedule; `duplicate`, `replay` and `manual` for the others', { enum: ['ladder', 'duplicate', 'replay', 'manual'] }),
  'step?': int('the rung of the ladder, for ladder attempts', { minimum: 0, maximum: 5 }),
  at: epochMs('when it was sent'),
  url: str('the notify_url'),
  body: str('the exact application/x-www-form-urlencoded body sent'),
  'status?': int('the HTTP status the merchant answered'),
  'response?': str("the merchant's answer, cut at 2 KB"),
  ms: num('real milliseconds until the answer or the failure'),
  'error?': str('why the attempt failed', { enum: ['timeout', 'refused', 'reset', 'dns', 'invalid-url', 'blocked', 'status', 'scenario', 'other'] }),
  'detail?': str('a human line on the failure'),
  delivered: bool('HTTP 200 means delivered'),
};

const NotifyAttempt = exact(attempt, 'One delivery attempt of a payment notify.');

const NotifyEvent = exact({ ...attempt, payjs_order_id: orderId, out_trade_no: str(), mchid: str() }, 'A notify attempt with the order it belongs to.');

const NotifyJob = exact({
  payjs_order_id: orderId,
  out_trade_no: str(),
  mchid: str(),
  url: str('the notify_url'),
  base_at: epochMs('the ladder counts from this time: the payment, later for notify=late'),
  next: int('the ladder rung of the next attempt', { minimum: 0 }),
  state: str('`pending` while rungs are left; `delivered` on an HTTP 200; `checked` when a successful check stopped it; `exhausted` after the last rung; `stopped` when notify=never was applied to the paid order', { enum: ['pending', 'delivered', 'checked', 'exhausted', 'stopped'] }),
  'failing?': int('attempts still to be lost on the way (notify=fail:<n> applied to the order)'),
  'round?': int('how many times tokens applied to the order re-armed its ladder'),
  tokens: arr(str(), 'the notify=… scenario tokens of the order'),
  fields: mapOf(str(), 'the signed notify fields, in the order sent'),
  attempts: arr(ref('NotifyAttempt')),
}, "The notify of one paid order: its body, where it is on the ladder, what was tried.");

const Rule = exact({
  id: str(undefined, { pattern: '^s[0-9]+$' }),
  match: ref('Match'),
  steps: arr(arr(str()), 'the token texts of each step; one step with `remaining: null` applies for ever'),
  remaining: nullable(int(undefined, { minimum: 1 })),
  used: int('how many times it matched', { minimum: 0 }),
  'from?': str('the name of the scenario file it came from'),
}, 'A scenario rule in force.');

const SignDiagnosis = exact({
  canonical: str('the string the sandbox signed, key masked'),
  expected: str('the sign the sandbox expected'),
  received: str('the sign that came'),
  cause: str('the likely mistake'),
}, 'Why a signature did not verify.');

const RecordedCall = exact({
  id: int(undefined, { minimum: 1 }),
  at: epochMs('when the call came'),
  method: str(),
  path: str(),
  endpoint: str('native, check, …'),
  transport: str('how the parameters came', { enum: ['query', 'form', 'json', 'multipart'] }),
  'via?': str('how the call reached the sandbox', { enum: ['direct', 'proxy', 'tls', 'interceptor'] }),
  'host?': str('the Host the client named (payjs.cn when unmodified code reached the sandbox)'),
  params: mapOf(anything(), 'query ∪ body, the body winning'),
  'mchid?': str(),
  'payjs_order_id?': str(),
  'out_trade_no?': str(),
  sign: str('the verdict on its sign; `unchecked` when no merchant could be told', { enum: ['valid', 'invalid', 'missing', 'unchecked'] }),
  'diagnosis?': ref('SignDiagnosis'),
  'error?': str('the refusal code, if refused', { pattern: '^[A-Z_]+$' }),
  status: int('the HTTP status answered'),
  answer: anything('the answer body, or `{ location }` for a redirect'),
  'scenario?': arr(str(), 'the scenario tokens the call ran under'),
  ms: num('real milliseconds to answer'),
}, 'One PAYJS API call a merchant made, as the sandbox saw and answered it.');

const Clock = exact({
  now: epochMs('the sandbox time'),
  iso: str('the same, ISO 8601', { format: 'date-time' }),
  pending: int('tasks waiting on the clock (notify retries, expiries, delayed payments)', { minimum: 0 }),
});

const PublicMerchant = exact({ mchid: str(), 'name?': str() }, 'A merchant as the control API shows it: never its key.');

const Seed = SeedInput;

const Snapshot = exact({
  version: { const: 1 },
  taken_at: epochMs('when it was taken'),
  collections: mapOf(mapOf(anything()), 'every collection of the store, by key'),
}, 'A whole sandbox, to restore later.');

const TimelineEntry = exact({
  at: epochMs('when'),
  kind: str(undefined, { enum: ['order', 'notify', 'call'] }),
  what: str('one line'),
  'detail?': anything(),
});

const ControlError = exact({ error: str('the code, e.g. ORDER_NOT_FOUND', { pattern: '^[A-Z_]+$' }), message: str('what went wrong and how to fix it') }, 'A refusal of the control API.');

const PayjsResult = exact({ success: bool(), resultCode: str(undefined, { enum: ['SUCCESS', 'FAIL', 'CANCEL', 'ERROR'] }), msg: str(), 'payjsOrderId?': str() }, '`referrerInfo.extraData` of the return: what the PAYJS mini-program tells the merchant app.');
const MiniprogramAnswer = exact({
  onShowOptions: exact({
    scene: int('1038: back from another mini-program'),
    path: str('the merchant page open on the return'),
    query: mapOf(str()),
    referrerInfo: exact({ appId: str('the PAYJS mini-program, wx959c8c1fb2d877b5'), extraData: ref('PayjsResult') }),
  }, "What the merchant's App.onShow(options) receives on the return."),
  order: nullable(ref('Order')),
}, 'The return of the simulated PAYJS mini-program; `order` is null when extraData was refused.');

const send = exact({ 'status?': int('the HTTP status answered'), 'response?': str('the answer, cut at 300 characters'), ms: int('real milliseconds to the answer'), 'error?': str('why no answer came', { enum: ['timeout', 'refused', 'reset', 'dns', 'other'] }) });
const ConformanceCase = exact({
  id: str(undefined, { enum: Object.keys(CASES) }),
  title: str(),
  severity: str('how bad a failure of the case is', { enum: ['critical', 'major', 'minor', 'info'] }),
  verdict: str('`info` never fails the battery', { enum: ['pass', 'fail', 'info'] }),
  expected: str('what a correct endpoint answers'),
  got: str('what this one answered'),
  sends: arr(send),
  'timing?': exact({ p50: int(), max: int(), sends: int() }, 'answer times (ms) of the valid notify over several sends'),
  'finding?': exact({ why: str('why it matters'), fix: str('how to fix it'), rule: str('the PAYJS rule (docs/protocol.md §14)') }),
}, 'One case of the notify-endpoint battery.');
const ConformanceReport = exact({
  id: str(undefined, { pattern: '^c[0-9]+$' }),
  url: str('the endpoint checked'),
  mchid: str('the merchant whose key signed the notifies'),
  at: epochMs('when it ran'),
  ms: int('real milliseconds the battery took'),
  passed: bool('no case failed'),
  summary: exact({ pass: int(), fail: int(), info: int() }),
  cases: arr(ref('ConformanceCase')),
}, "A conformance report of a merchant's notify endpoint.");
const ScenarioFile = SCENARIO_FILE_SCHEMA;
const ShippedScenario = { ...SCENARIO_FILE_SCHEMA, required: ['file', 'name', 'description', 'rules'], properties: { file: str('the file name in fixtures/scenarios/'), ...(SCENARIO_FILE_SCHEMA.properties as object) }, description: 'A scenario file shipped in fixtures/scenarios/.' };

/** Every record of the control API, by name. */
export const CONTROL_SCHEMAS: Record<string, Schema> = {
  Order, NotifyAttempt, NotifyEvent, NotifyJob, Match, Rule, RuleInput, SignDiagnosis, RecordedCall, Clock,
  MerchantInput, PublicMerchant, SeedOrder, Seed, Snapshot, TimelineEntry, ControlError, PayjsResult, MiniprogramAnswer,
  ConformanceCase, ConformanceReport, ConformanceInput: CONFORMANCE_INPUT_SCHEMA, ScenarioFile, ShippedScenario, OrderScenarioInput: ORDER_SCENARIO_SCHEMA,
};

/** The actions of `POST /__sandbox/orders/{id}/{action}`, and what each does. */
export const ACTION_TEXT: Record<(typeof CONTROL_ACTIONS)[number], string> = {
  pay: "Marks an unpaid order paid, whatever its scenario says (a test's override; the notify follows). JSON `{ \"openid\" }` optional.",
  tap: 'The payer taps Pay on the pay page: the order is paid unless its scenario makes the payment fail or be cancelled (pay=fail, pay=cancel, amounts 502/503), as the pay page does.',
  fail: "The payer's payment fails on the pay page; the order stays unpaid (recorded in its history).",
  cancel: 'The payer cancels on the pay page; the order stays unpaid (recorded in its history).',
  close: 'Closes an unpaid order.',
  refund: 'Refunds a paid order in full.',
  reverse: 'Refunds a paid order, closes an unpaid one.',
  expire: 'Closes an unpaid order now, as its expiry would.',
};
