import { CONTROL_ACTIONS } from '../../core/order.js';
import { SIGN_VERDICTS, VIAS } from '../../app/call-log.js';
import { requestSchema } from './payjs.js';
import { ACTION_TEXT } from './components.js';
import { AdvanceInput, MiniprogramPayInput } from '../../app/inputs.js';
import { arr, exact, int, json, oneOf, ref, refusal, str, type Schema } from './schema.js';

/**
 * The control API, `/__sandbox/*`: JSON in, JSON out, `{ error, message }` with a 4xx on refusal.
 * Off loopback every route needs the control token (401 without it). Every route answers 403 under
 * a Host name the sandbox does not answer (`FORBIDDEN_HOST`, DNS rebinding) and to a state change
 * sent by another site's page (`CROSS_SITE`): http/host-check.ts.
 */

const TOKEN = [{}, { controlToken: [] }, { bearer: [] }, { tokenQuery: [] }];
const unauthorized = refusal('off loopback, without the control token the banner printed');
const forbidden = refusal('FORBIDDEN_HOST: the Host is not a loopback name, an IP address or an --allowed-host (a DNS-rebinding page would send such a name); CROSS_SITE: a page of another site (Origin, Sec-Fetch-Site) sent a call that changes something');
const notFound = refusal('no such order (or thing)');
const badInput = refusal('the input is wrong: the message says what to send');
const q = (name: string, description: string, schema: Schema = str()): Schema => ({ name, in: 'query', required: false, description, schema });
const idParam = { name: 'payjs_order_id', in: 'path', required: true, schema: str() };
const body = (schema: Schema, description: string) => ({ required: true, ...json(schema, description) });

interface Op {
  tag: string;
  summary: string;
  description?: string;
  parameters?: Schema[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
}

/** One control operation; every one may answer 401 off loopback and 403 to other sites. */
const op = (id: string, o: Op) => ({
  tags: [o.tag],
  operationId: id,
  summary: o.summary,
  ...(o.description ? { description: o.description } : {}),
  ...(o.parameters ? { parameters: o.parameters } : {}),
  ...(o.requestBody ? { requestBody: o.requestBody } : {}),
  security: TOKEN,
  responses: { ...o.responses, 401: unauthorized, 403: forbidden },
});

const orderAnswer = json(exact({ order: ref('Order') }), 'the order after the action');
const orderFilters = [
  q('mchid', 'one merchant'),
  q('status', 'unpaid, paid, refunded or closed'),
  q('channel', 'native, micropay, jsapi, cashier, mweb, facepay or miniprogram'),
  q('out_trade_no', "the merchant's order number"),
];
const callFilters = [
  q('endpoint', 'native, check, …'),
  q('mchid', 'one merchant'),
  q('payjs_order_id', 'one order'),
  q('out_trade_no', "the merchant's order number"),
  q('sign', 'the verdict on the sign', str(undefined, { enum: [...SIGN_VERDICTS] })),
  q('via', 'how the call reached the sandbox (direct, proxy, tls, interceptor)', str(undefined, { enum: [...VIAS] })),
  q('host', 'the Host the client named, e.g. payjs.cn'),
];

function actionPaths(): Record<string, unknown> {
  return Object.fromEntries(CONTROL_ACTIONS.map((action) => [`/__sandbox/orders/{payjs_order_id}/${action}`, {
    parameters: [idParam],
    post: op(`${action}Order`, {
      tag: 'orders',
      summary: ACTION_TEXT[action],
      ...(action === 'pay' ? { requestBody: { required: false, ...json(exact({ 'openid?': str('the payer') }), 'optional') } } : {}),
      // reverse takes an order in any state (docs/protocol.md §15.3): it is never refused for one.
      responses: { 200: orderAnswer, 404: notFound, ...(action === 'reverse' ? {} : { 409: refusal('the order is not in a state this action takes (e.g. paying a closed order)') }) },
    }),
  }]));
}

/** Every path of the control API. */
export function controlPaths(): Record<string, unknown> {
  return {
    '/__sandbox/orders': {
      get: op('listOrders', {
        tag: 'orders',
        summary: 'Every order, newest first',
        parameters: [...orderFilters, q('limit', 'at most this many (default 1000, at most 10000)', int(undefined, { minimum: 1 }))],
        responses: { 200: json(exact({ total: int('how many match'), orders: arr(ref('Order')) }), 'the orders') },
      }),
    },
    '/__sandbox/orders/{payjs_order_id}': {
      parameters: [idParam],
      get: op('getOrder', {
        tag: 'orders',
        summary: 'One order with its notify job and its timeline (order events, notify attempts, API calls)',
        responses: { 200: json(exact({ order: ref('Order'), notify: { oneOf: [ref('NotifyJob'), { type: 'null' }] }, timeline: arr(ref('TimelineEntry')) }), 'the order'), 404: notFound },
      }),
    },
    ...actionPaths(),
    '/__sandbox/orders/{payjs_order_id}/scenario': {
      parameters: [idParam],
      post: op('useOnOrder', {
        tag: 'orders',
        summary: 'Applies scenario tokens to this one order from now on',
        description: 'Each token group given (`pay`, `order`, `notify`) replaces the order\'s tokens of that group. On an unpaid order they shape its payment and notify, and `pay=auto` pays it now (or after s seconds); on a paid or refunded order `notify=…` starts its notify ladder again from the first rung (later with `notify=late`; `notify=never` stops it; `notify=fail:<n>` loses the next n attempts) and `pay=…` is refused.',
        requestBody: body(ref('OrderScenarioInput'), 'the tokens'),
        responses: { 200: json(exact({ order: ref('Order'), notify: { oneOf: [ref('NotifyJob'), { type: 'null' }] } }), 'the order and its notify job'), 400: badInput, 404: notFound, 409: refusal('the order cannot take them (pay=… on a paid order, anything on a closed one)') },
      }),
    },
    '/__sandbox/orders/{payjs_order_id}/notifications': {
      parameters: [idParam],
      get: op('getOrderNotifications', {
        tag: 'notifications',
        summary: 'Its notify job and every attempt',
        responses: { 200: json(exact({ notify: { oneOf: [ref('NotifyJob'), { type: 'null' }] }, attempts: arr(ref('NotifyEvent')) }), 'the notify of the order'), 404: notFound },
      }),
    },
    '/__sandbox/orders/{payjs_order_id}/notifications/resend': {
      parameters: [idParam],
      post: op('resendNotify', {
        tag: 'notifications',
        summary: 'Sends its notify once more, now (a `manual` attempt)',
        responses: { 200: json(exact({ attempt: ref('NotifyEvent') }), 'the attempt'), 404: refusal('no such order, or it has no notify (not paid, or no notify_url)') },
      }),
    },
    '/__sandbox/notifications': {
      get: op('listNotifications', {
        tag: 'notifications',
        summary: 'Every notify attempt, oldest first',
        parameters: [q('payjs_order_id', 'one order')],
        responses: { 200: json(exact({ attempts: arr(ref('NotifyEvent')) }), 'the attempts') },
      }),
    },
    '/__sandbox/notifications/wait': {
      get: op('waitForNotify', {
        tag: 'notifications',
        summary: 'Long poll: the first attempt, past or future, with the given fields',
        parameters: [
          q('payjs_order_id', 'of this order'), q('out_trade_no', "of this merchant's order number"), q('mchid', 'of this merchant'),
          q('kind', 'ladder, duplicate, replay or manual'), q('delivered', '`true` or `false`', str(undefined, { enum: ['true', 'false'] })),
          q('timeout', 'milliseconds (default 5000, at most 60000)', int(undefined, { minimum: 0 })),
        ],
        responses: {
          200: json(exact({ attempt: ref('NotifyEvent') }), 'the attempt'),
          408: json(exact({ error: { const: 'TIMEOUT' }, message: str(), attempts: arr(ref('NotifyEvent'), 'the last attempts, to see what came instead') }), 'none within the timeout'),
        },
      }),
    },
    '/__sandbox/clock': {
      get: op('getClock', { tag: 'clock', summary: 'The sandbox clock', responses: { 200: json(ref('Clock'), 'the clock') } }),
    },
    '/__sandbox/clock/advance': {
      post: op('advanceClock', {
        tag: 'clock',
        summary: 'Moves the clock forward; answers once everything that fell due (notify retries, expiries, delayed payments) has run',
        requestBody: body(AdvanceInput, 'how far'),
        responses: { 200: json(ref('Clock'), 'the clock after'), 400: badInput },
      }),
    },
    '/__sandbox/clock/reset': {
      post: op('resetClock', {
        tag: 'clock',
        summary: 'Puts the clock back to real time, forgetting every advance (orders and tasks stay); a whole reset does it too',
        responses: { 200: json(ref('Clock'), 'the clock after') },
      }),
    },
    '/__sandbox/scenarios': {
      get: op('listScenarios', { tag: 'scenarios', summary: 'The rules in force, oldest first', responses: { 200: json(exact({ scenarios: arr(ref('Rule')) }), 'the rules') } }),
      post: op('addScenario', {
        tag: 'scenarios',
        summary: 'Adds a rule',
        requestBody: body(ref('RuleInput'), 'the rule'),
        responses: { 201: json(exact({ scenario: ref('Rule') }), 'the rule with its id'), 400: badInput },
      }),
      delete: op('clearScenarios', { tag: 'scenarios', summary: 'Removes every rule', responses: { 200: json(exact({ scenarios: { type: 'array', maxItems: 0 } }), 'none left') } }),
    },
    '/__sandbox/scenarios/files': {
      get: op('listScenarioFiles', { tag: 'scenarios', summary: 'The scenario files shipped in fixtures/scenarios/ (the classic cases)', responses: { 200: json(exact({ files: arr(ref('ShippedScenario')) }), 'the files') } }),
      post: op('loadScenarioFile', {
        tag: 'scenarios',
        summary: 'Loads a scenario file sent as the body: every rule is checked before any is added',
        parameters: [q('file', 'the file name, to name it in refusals')],
        requestBody: body(ref('ScenarioFile'), 'the file'),
        responses: { 201: json(exact({ scenario: ref('ScenarioFile'), rules: arr(ref('Rule')) }), 'the rules added'), 400: badInput },
      }),
    },
    '/__sandbox/scenarios/files/{file}': {
      parameters: [{ name: 'file', in: 'path', required: true, schema: str(), description: 'a shipped file name, e.g. late-notify.json' }],
      post: op('loadShippedScenario', { tag: 'scenarios', summary: 'Loads a shipped scenario file', responses: { 201: json(exact({ scenario: ref('ScenarioFile'), rules: arr(ref('Rule')) }), 'the rules added'), 404: notFound } }),
    },
    '/__sandbox/conformance': {
      get: op('listConformanceReports', { tag: 'conformance', summary: 'The last notify-endpoint conformance reports, newest first (in memory, at most 20)', responses: { 200: json(exact({ reports: arr(ref('ConformanceReport')) }), 'the reports') } }),
      post: op('runConformance', {
        tag: 'conformance',
        summary: "Runs the conformance battery against a merchant's notify endpoint",
        description: 'Real notifies on orders made for the purpose: valid (timed over several sends), Alipay, duplicate, forged sign, unknown extra fields, optional fields absent, replay after a refund, and a JSON body (information only). Answers when every case has run.',
        requestBody: body(ref('ConformanceInput'), 'the endpoint'),
        responses: { 200: json(exact({ report: ref('ConformanceReport') }), 'the report'), 400: badInput, 404: refusal('unknown mchid') },
      }),
    },
    '/__sandbox/conformance/{id}': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: str() }],
      get: op('getConformanceReport', {
        tag: 'conformance',
        summary: 'One report; `?format=junit` gives it as JUnit XML',
        parameters: [q('format', '`junit` for JUnit XML', str(undefined, { enum: ['junit'] }))],
        responses: { 200: { description: 'the report', content: { 'application/json': { schema: exact({ report: ref('ConformanceReport') }) }, 'application/xml': { schema: str() } } }, 404: notFound },
      }),
    },
    '/__sandbox/scenarios/{id}': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: str() }],
      delete: op('removeScenario', { tag: 'scenarios', summary: 'Removes one rule', responses: { 200: json(exact({ scenarios: arr(ref('Rule')) }), 'the rules left'), 404: notFound } }),
    },
    '/__sandbox/calls': {
      get: op('listCalls', {
        tag: 'calls',
        summary: 'The call log: every PAYJS API call, oldest first (in memory, the last 10,000)',
        parameters: callFilters,
        responses: { 200: json(exact({ calls: arr(ref('RecordedCall')) }), 'the calls'), 400: refusal('a sign or via value that is not one of the listed ones') },
      }),
    },
    '/__sandbox/ca.pem': {
      get: op('caCertificate', {
        tag: 'interception',
        summary: "The sandbox CA's certificate (PEM; never the key): trust it to reach the proxy and the TLS listener",
        responses: { 200: { description: 'the certificate', content: { 'application/x-pem-file': { schema: str() } } } },
      }),
    },
    '/__sandbox/interception': {
      get: op('interception', {
        tag: 'interception',
        summary: 'What intercepts payjs.cn here: the proxy and TLS listener URLs, the hosts, the CA file (what `payjs-sandbox env` prints from)',
        responses: {
          200: json(
            exact({
              url: str('the main port'),
              'proxy?': str('the interception proxy, for HTTPS_PROXY'),
              'others?': str('what the proxy does with other hosts', { enum: ['tunnel', 'refuse'] }),
              'https?': str('the TLS listener'),
              hosts: arr(str(), 'the hosts intercepted'),
              caFile: str("the CA certificate's path on the sandbox's machine"),
              caBundle: str('the CA followed by Mozilla roots, for SSL_CERT_FILE, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE'),
            }),
            'the interception set-up',
          ),
        },
      }),
    },
    '/__sandbox/journal': {
      get: {
        ...op('listCallsByOldName', {
          tag: 'calls',
          summary: 'The call log under its old name: the same as GET /__sandbox/calls',
          parameters: callFilters,
          responses: { 200: json(exact({ calls: arr(ref('RecordedCall')) }), 'the calls'), 400: refusal('a sign or via value that is not one of the listed ones') },
        }),
        deprecated: true,
      },
    },
    '/__sandbox/merchants': {
      get: op('listMerchants', { tag: 'merchants', summary: 'The merchants, without keys (the default merchant first)', responses: { 200: json(exact({ merchants: arr(ref('PublicMerchant')) }), 'the merchants') } }),
      post: op('addMerchant', {
        tag: 'merchants',
        summary: 'Adds a merchant for good',
        requestBody: body(ref('MerchantInput'), 'the merchant'),
        responses: { 201: json(exact({ merchant: ref('PublicMerchant') }), 'added'), 400: badInput },
      }),
    },
    '/__sandbox/reset': {
      post: op('reset', {
        tag: 'sandbox',
        summary: 'Forgets every order, notify, rule and recorded call, or those of one merchant',
        parameters: [q('mchid', 'only this merchant')],
        responses: { 200: json(exact({ reset: oneOf({ const: 'everything' }, exact({ mchid: str() })) }), 'what was forgotten') },
      }),
    },
    '/__sandbox/snapshot': {
      get: op('snapshot', { tag: 'sandbox', summary: 'Every collection, to restore later', responses: { 200: json(ref('Snapshot'), 'the snapshot') } }),
    },
    '/__sandbox/restore': {
      post: op('restore', {
        tag: 'sandbox',
        summary: 'Puts the sandbox back to a snapshot (pending notify retries resume)',
        requestBody: body(ref('Snapshot'), 'what GET /__sandbox/snapshot gave'),
        responses: { 200: json(exact({ restored: { const: true }, orders: int('orders now') }), 'restored'), 400: badInput },
      }),
    },
    '/__sandbox/seed': {
      post: op('seed', {
        tag: 'sandbox',
        summary: 'Creates merchants and orders through the same path as the API, then brings each order to its status',
        requestBody: body(ref('Seed'), 'fixtures/seed.json has the shape'),
        responses: { 201: json(exact({ orders: arr(ref('Order')) }), 'the orders created'), 400: badInput, 404: refusal('an order names an unknown merchant') },
      }),
    },
    '/__sandbox/events': {
      get: op('events', {
        tag: 'sandbox',
        summary: 'Server-sent events of every order change, notify attempt, API call and reset',
        description: '`event: order|notify|call|reset`, `data:` JSON (`{ type, order | attempt | call }`); a comment line every 15 s keeps it open.',
        responses: { 200: { description: 'the stream', content: { 'text/event-stream': { schema: str() } } } },
      }),
    },
    '/__sandbox/openapi.json': {
      get: op('openapi', { tag: 'sandbox', summary: 'This description; `servers` is the origin it was asked on', responses: { 200: json({ type: 'object', required: ['openapi', 'paths'] }, 'OpenAPI 3.1') } }),
    },
    ...miniprogramPaths(),
  };
}

/** The simulated PAYJS mini-program (docs/protocol.md §12). */
function miniprogramPaths(): Record<string, unknown> {
  const html = (description: string) => ({ description, content: { 'text/html': { schema: str() } } });
  // The checked input, with the fields extraData must carry (the gateway checks those).
  const payRequest = {
    ...MiniprogramPayInput,
    required: ['extraData'],
    properties: {
      ...(MiniprogramPayInput.properties as Record<string, Schema>),
      extraData: { ...requestSchema('miniprogram'), description: 'the signed object the merchant mini-program passes to wx.navigateToMiniProgram' },
    },
  };
  return {
    '/__sandbox/miniprogram/pay': {
      post: op('miniprogramPay', {
        tag: 'miniprogram',
        summary: "The payer acts in the PAYJS mini-program; answers what the merchant's App.onShow receives",
        description: 'Refused extraData (bad sign, missing field, camelCase names) is answered 200 with `success: false`, `resultCode: ERROR` and no order, as the mini-program returns in every case.',
        requestBody: body(payRequest, 'the jump'),
        responses: { 200: json(ref('MiniprogramAnswer'), 'the return'), 400: badInput },
      }),
    },
    '/__sandbox/miniprogram/pages/pay': {
      get: op('miniprogramPage', {
        tag: 'miniprogram',
        summary: 'The PAYJS mini-program as a page, for a person playing the payer',
        parameters: [q('extraData', 'the JSON the merchant mini-program jumps with'), q('path', 'the merchant page open on the return')],
        responses: { 200: html('the pay page'), 400: html('extraData missing or not JSON') },
      }),
      post: op('miniprogramPageAction', {
        tag: 'miniprogram',
        summary: "The page's buttons: shows the onShow options of the return, to paste into WeChat DevTools",
        requestBody: { required: true, content: { 'application/x-www-form-urlencoded': { schema: { type: 'object', properties: { extraData: str('JSON'), action: str(undefined, { enum: ['pay', 'fail', 'cancel'] }), path: str() } } } } },
        responses: { 303: { description: 'to the result page (Post/Redirect/Get: a reload does not pay again)', headers: { Location: { schema: str() } } }, 400: html('extraData missing or not JSON') },
      }),
    },
    '/__sandbox/miniprogram/pages/result': {
      get: op('miniprogramPageResult', {
        tag: 'miniprogram',
        summary: 'The result of a choice on the page: the onShow options of the return, to paste into WeChat DevTools',
        parameters: [q('r', 'the result, as the redirect of the page\'s buttons wrote it')],
        responses: { 200: html('the result page'), 400: html('a broken result link') },
      }),
    },
  };
}
