import { CREATE_ENDPOINTS } from '../core/endpoints.js';
import { MERCHANT_RULES } from '../core/merchant.js';
import { NEXT } from '../core/transitions.js';
import { VOCABULARY } from '../core/scenarios.js';
import { anything, arr, bool, epochMs, exact, int, mapOf, nullable, oneOf, str, type Schema } from './json-schema.js';

/**
 * The JSON inputs of the sandbox as JSON Schemas: scenario rules, merchants, seeds, snapshots and
 * the mini-program's pay request. The use cases check what arrives against them (validate.ts) and
 * the OpenAPI document (http/openapi/components.ts) shows the same objects, so what is documented
 * is what is enforced. Each `description` is the fix a refusal names.
 */

const STATUSES = Object.keys(NEXT);
/** The scenario tokens, for descriptions. */
export const TOKENS = `Scenario tokens (${Object.keys(VOCABULARY).join(', ')}), with their argument as \`name:arg\`.`;

/** What a scenario rule matches. */
export const Match = exact({
  'mchid?': str(),
  'out_trade_no?': str('a pattern with * and ?'),
  'total_fee?': int('a number of fen'),
  'endpoint?': str('a PAYJS endpoint (native, check, refund, …) or `notify`; absent: the create calls'),
  'notify_url?': str(),
}, 'match takes mchid, out_trade_no (a * ? pattern), total_fee (a number), endpoint and notify_url');

const tokens = oneOf(str('comma-separated, e.g. "pay=auto,notify=late:30"'), arr(str()));

/** A scenario rule to add (`POST /__sandbox/scenarios`, `sandbox.use()`). */
export const RuleInput: Schema = {
  type: 'object',
  description: `A scenario rule to add. ${TOKENS} Give \`tokens\` (with \`once\` or \`times\`) or \`sequence\`.`,
  properties: {
    match: Match,
    tokens,
    once: bool('used by the first matching event only'),
    times: int('a whole number ≥ 1: used by this many matching events', { minimum: 1 }),
    sequence: arr(tokens, 'a non-empty list of token strings: one step per matching event, then the rule is spent', { minItems: 1 }),
  },
};

const merchantProfile = { 'name?': str(), 'phone?': str(), 'jsapi_path?': str(), 'doudou?': int() };
/** A merchant to add (POST /__sandbox/merchants, seeds), by the rules core/merchant.ts states. */
export const MerchantInput = exact({ mchid: str(MERCHANT_RULES.mchid.says, { pattern: MERCHANT_RULES.mchid.pattern }), key: str(`the 通信密钥: ${MERCHANT_RULES.key.says}`, { pattern: MERCHANT_RULES.key.pattern }), ...merchantProfile }, 'send {"mchid": "…", "key": "…"} and, optionally, what /api/info reports');

/** One order of a seed: created as its merchant would, then brought to `status`. */
export const SeedOrder = {
  ...exact({
    'mchid?': str('default: the first merchant'),
    'channel?': str('the create endpoint that makes it', { enum: [...CREATE_ENDPOINTS] }),
    out_trade_no: str('a non-empty string', { minLength: 1 }),
    total_fee: int('a whole number of fen ≥ 1', { minimum: 1 }),
    'body?': str(),
    'attach?': str(),
    'notify_url?': str(),
    'openid?': str('required for jsapi and facepay'),
    'status?': str('where to bring it after creating it', { enum: STATUSES }),
  }),
  // Seeds written for older versions may carry more fields: they are ignored, as they always were.
  additionalProperties: true,
};

/** A seed file (fixtures/seed.json): merchants and orders to start from. The merchants are
 * checked one by one by core/merchant.ts, which names what is wrong with each. */
export const SeedInput = {
  ...exact({ 'merchants?': arr({ type: 'object', description: 'a merchant: { "mchid", "key" }' }, 'a list of merchants'), 'orders?': arr(SeedOrder, 'a list of orders') }, 'expected { "merchants": [...], "orders": [...] }'),
  additionalProperties: true,
};

/** The records each collection of a snapshot must hold: what the sandbox reads back (it writes
 * more, which passes). */
const nonEmpty = str(undefined, { minLength: 1 });
const record = (props: Record<string, Schema>): Schema => ({ ...exact(props, 'is not a record the sandbox wrote'), additionalProperties: true });
const finite = { type: 'number' };
export const SNAPSHOT_RECORDS: Record<string, Schema> = {
  orders: record({
    payjs_order_id: nonEmpty, mchid: nonEmpty, out_trade_no: str(), total_fee: finite, status: str(undefined, { enum: STATUSES }),
    created_at: finite, expires_at: finite, code: nonEmpty, history: arr(anything()), 'scenario?': arr(str()),
  }),
  notifies: record({
    payjs_order_id: nonEmpty, mchid: nonEmpty, url: str(), base_at: finite, next: finite,
    state: str(undefined, { enum: ['pending', 'delivered', 'checked', 'exhausted', 'stopped'] }), fields: mapOf(anything()), attempts: arr(anything()), tokens: arr(anything()),
  }),
  scenarios: record({ id: nonEmpty, match: mapOf(anything()), steps: arr(arr(anything())), remaining: nullable(finite), used: finite }),
  merchants: record({ mchid: nonEmpty, key: nonEmpty }),
  clock: { ...finite, description: 'is not a record the sandbox wrote' },
};

/** A whole sandbox, as `GET /__sandbox/snapshot` gave it. */
export const SnapshotInput: Schema = {
  type: 'object',
  description: 'send the JSON that GET /__sandbox/snapshot gave',
  required: ['version', 'collections'],
  properties: {
    version: { const: 1, description: 'send the JSON that GET /__sandbox/snapshot gave' },
    taken_at: epochMs('when it was taken'),
    collections: {
      type: 'object',
      description: `every collection of the store, by key; a snapshot has ${Object.keys(SNAPSHOT_RECORDS).join(', ')}`,
      properties: Object.fromEntries(Object.entries(SNAPSHOT_RECORDS).map(([name, r]) => [name, mapOf(r, 'an object of records by key')])),
      additionalProperties: false,
    },
  },
};

/** `POST /__sandbox/miniprogram/pay`: the signed extraData and the payer's choice. */
export const MiniprogramPayInput: Schema = {
  type: 'object',
  description: 'send JSON {"extraData": {…}, "action": "pay" | "fail" | "cancel"}',
  properties: {
    extraData: anything('the object the merchant mini-program passes to wx.navigateToMiniProgram, signed'),
    action: str('the payer: pay, fail or cancel', { enum: ['pay', 'fail', 'cancel'] }),
    path: str('the merchant page path, e.g. "pages/index/index"'),
    query: mapOf(str(), 'an object of strings: the query of the merchant page'),
  },
};

/** The body of `POST /__sandbox/orders/{id}/pay`: optionally the payer. */
export const PayActionInput: Schema = {
  type: 'object',
  description: 'send nothing, or JSON {"openid": "…"} to name the payer',
  properties: { openid: str('the payer\'s openid (28 characters, e.g. from /api/openid)', { minLength: 1, maxLength: 64 }) },
};

/** `POST /__sandbox/clock/advance`. */
export const AdvanceInput: Schema = {
  type: 'object',
  description: 'send JSON {"seconds": N} with N ≥ 0',
  required: ['seconds'],
  properties: { seconds: { type: 'number', minimum: 0, description: 'send JSON {"seconds": N} with N ≥ 0' } },
};
