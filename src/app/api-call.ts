import type { SandboxClock } from '../clock/clock.js';
import type { Gateway } from './gateway.js';
import type { CallLog, RecordedCall } from './call-log.js';
import type { Taken } from './scenario-book.js';
import { errorEnvelope } from '../core/answers.js';
import { API_ENDPOINTS, isApiEndpoint, isCreate, isOrderCall, isQuery, type Answer, type ApiEndpoint } from '../core/endpoints.js';
import { Refusal } from '../core/errors.js';
import { find, type Token } from '../core/scenarios.js';
import type { Params } from '../core/sign.js';

/** The header that chooses a scenario for one API call (see the README's scenario table). */
export const SCENARIO_HEADER = 'x-payjs-sandbox-scenario';
/** The header that carries a signature refusal's diagnosis. */
export const DEBUG_HEADER = 'x-payjs-sandbox-debug';

/** How a request carried its parameters. */
export type Transport = 'query' | 'form' | 'json' | 'multipart';

/** One call of the PAYJS surface, as any transport (koa, a bare node:http server, an
 * interceptor) hands it over. */
export interface ApiRequest {
  /** `/api/native`, … */
  path: string;
  method: string;
  /** Lower-case names, as node:http gives them. */
  headers: Record<string, string | string[] | undefined>;
  /** The parameters, query ∪ body (the body winning, docs/protocol.md §2.1), and how they came … */
  params?: Params;
  via?: Transport;
  /** How the call reached the sandbox and the Host it named (direct, proxy, TLS listener, interceptor). */
  arrival?: Pick<RecordedCall, 'via' | 'host'>;
  /** … or how to read them: a refusal of the body is then answered and recorded like any other. */
  read?: () => Promise<{ params: Params; via: Transport }>;
  /** The origin the caller reached the sandbox by, for the links in answers (default: the
   * sandbox's own URL). */
  base?: string;
  /** For a caller in the process (the dashboard's test orders), filled in by the pipeline: the
   * order a create call made, and the refusal its envelope answers. */
  note?: Made & { refusal?: Refusal };
}

/** What the transport sends back. */
export interface ApiResponse {
  status: number;
  /** Lower-case names; `content-type` whenever there is a body, `location` on a redirect. */
  headers: Record<string, string>;
  /** A JSON answer (an object, to serialize), a text, or nothing. */
  body?: Params | string;
  /** An object body as JSON text, serialized once by the pipeline for the call log and the
   * transport alike (bodyText). */
  text?: string;
  /** `api=hang`: the call was carried out; never answer, keep the socket until the client goes. */
  hang?: true;
}

/** The text a transport sends for a response with a body. */
export const bodyText = (response: ApiResponse): string => response.text ?? (typeof response.body === 'string' ? response.body : JSON.stringify(response.body));

/** The one entry of the PAYJS surface. */
export type ApiCall = (request: ApiRequest) => Promise<ApiResponse>;

export interface ApiCallOptions {
  gateway: Gateway;
  callLog: CallLog;
  clock: SandboxClock;
  /** The sandbox's own URL, for links when the transport knows no origin. */
  url: () => string;
}

/** The order a call made, if it made one. */
type Made = { payjs_order_id?: string };

const JSON_TYPE = 'application/json; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const text = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);
const header = (headers: ApiRequest['headers'], name: string) => {
  const v = headers[name];
  return (Array.isArray(v) ? v.join(', ') : v) || undefined;
};

/** Header values must be ASCII: non-ASCII characters of the canonical string are \u-escaped. */
export const asciiHeader = (s: string) => s.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** The refusal of a path under /api/ that is no PAYJS endpoint. */
export const unknownEndpoint = (path: string) =>
  new Refusal('NOT_FOUND', [`no PAYJS endpoint ${path.slice(0, 60)}; the endpoints are ${API_ENDPOINTS.join(', ')}`]);

/** The call log's record of one call, built once, its fields in the order the log shows them
 * (the log numbers it: `id` comes first). The parameters are not copied: the log keeps them as
 * JSON text at once (CallLog.add). */
function record(request: ApiRequest, at: number, endpoint: string, via: Transport, params: Params, tokens: Token[], made: Made, response: ApiResponse | undefined, error: Refusal | undefined, verdict: ReturnType<Gateway['signVerdict']>, started: number): RecordedCall {
  const body = typeof response?.body === 'object' ? response.body : undefined;
  const call = { id: 0, at, method: request.method, path: request.path, endpoint, transport: via } as RecordedCall;
  const arrival = request.arrival;
  if (arrival) {
    if ('via' in arrival) call.via = arrival.via;
    if ('host' in arrival) call.host = arrival.host;
  }
  call.params = params;
  call.mchid = verdict.mchid;
  call.payjs_order_id = text(params.payjs_order_id) ?? text(body?.payjs_order_id) ?? made.payjs_order_id;
  call.out_trade_no = text(params.out_trade_no);
  call.sign = verdict.sign;
  if (verdict.diagnosis) call.diagnosis = verdict.diagnosis;
  if (error) call.error = error.code;
  call.status = response?.status ?? 500;
  call.answer = response?.headers.location !== undefined ? { location: response.headers.location } : response?.body;
  if (tokens.length) call.scenario = tokens.map((t) => t.text);
  call.ms = Math.round((performance.now() - started) * 100) / 100;
  return call;
}

/** The HTTP response of an answer: its JSON body, or the redirect. */
const answered = (answer: Answer): ApiResponse =>
  'redirect' in answer ? { status: 302, headers: { location: answer.redirect } } : { status: 200, headers: { 'content-type': JSON_TYPE }, body: answer.body };

/** PAYJS answers a refusal with HTTP 200 and its envelope; a sign refusal carries its diagnosis. */
export function refusal(e: Refusal): ApiResponse {
  const headers: Record<string, string> = { 'content-type': JSON_TYPE };
  if (e.debug) headers[DEBUG_HEADER] = asciiHeader(e.debug);
  return { status: 200, headers, body: errorEnvelope(e.message) };
}

/**
 * The PAYJS surface, whatever the transport: read the parameters → the scenario of the call →
 * its `api=…` faults → authorize and carry it out (the gateway) → record it in the
 * call log. Refusals are answers (the envelope, HTTP 200); only a bug of the sandbox throws.
 */
export function createApiCall({ gateway, callLog, clock, url }: ApiCallOptions): ApiCall {
  /** The use case of the endpoint's kind; the gateway authorizes. An order made is noted in
   * `made`: the cashier's answer is a redirect, and its call is linked to the order this way. */
  const carryOut = async (endpoint: ApiEndpoint, params: Params, tokens: Token[], base: string, made: Made): Promise<Answer> => {
    if (isCreate(endpoint)) {
      const { order, answer } = await gateway.create(endpoint, params, base, tokens);
      made.payjs_order_id = order.payjs_order_id;
      return answer;
    }
    if (isOrderCall(endpoint)) return { body: await gateway.orderCall(endpoint, params) };
    if (isQuery(endpoint)) return { body: gateway.merchantCalls.query(endpoint, params) };
    endpoint satisfies 'openid'; // the one redirect row: another one needs its use case here
    return { redirect: gateway.merchantCalls.openidRedirect(params) };
  };

  /** Runs the call under its faults: `status` answers that HTTP status without carrying the call
   * out; `delay` answers late; `malformed` carries it out and answers broken JSON; `hang` carries
   * it out and never answers. */
  const underFaults = async (endpoint: ApiEndpoint, params: Params, tokens: Token[], base: string, made: Made): Promise<ApiResponse> => {
    const status = find(tokens, 'api=status');
    if (status) {
      const code = status.arg!;
      return code === 204 || code === 304 ? { status: code, headers: {} } : { status: code, headers: { 'content-type': TEXT_TYPE }, body: `payjs-sandbox scenario ${status.text}` };
    }
    const delay = find(tokens, 'api=delay');
    if (delay) await sleep(delay.arg!);
    let response = answered(await carryOut(endpoint, params, tokens, base, made));
    if (find(tokens, 'api=malformed')) {
      const whole = typeof response.body === 'string' ? response.body : (JSON.stringify(response.body) ?? '{}');
      response = { status: response.status, headers: { ...response.headers, 'content-type': 'application/json' }, body: whole.slice(0, Math.max(1, Math.floor(whole.length / 2))) };
    }
    if (find(tokens, 'api=hang')) response = { ...response, hang: true };
    return response;
  };

  return async (request) => {
    const started = performance.now();
    const at = clock.now();
    const endpoint = request.path.startsWith('/api/') ? request.path.slice(5) : '';
    if (!isApiEndpoint(endpoint)) return refusal(unknownEndpoint(request.path));
    let params: Params = request.params ?? {};
    let via: Transport = request.via ?? 'query';
    let tokens: Token[] = [];
    let response: ApiResponse | undefined;
    let error: Refusal | undefined;
    const made: Made = request.note ?? {};
    const taken: Taken[] = [];
    try {
      if (request.read) ({ params, via } = await request.read());
      // A HEAD (or any other method) must not create an order.
      if (request.method !== 'GET' && request.method !== 'POST') throw new Refusal('METHOD_NOT_ALLOWED', [request.path]);
      tokens = gateway.scenarioFor(endpoint, params, header(request.headers, SCENARIO_HEADER), taken);
      // Most calls run under no scenario token: no fault to look for.
      const base = request.base ?? url();
      response = tokens.length === 0 ? answered(await carryOut(endpoint, params, tokens, base, made)) : await underFaults(endpoint, params, tokens, base, made);
      return response;
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      gateway.giveBack(taken); // a refused call uses no scenario rule
      error = err;
      response = refusal(err);
      return response;
    } finally {
      if (error && request.note) request.note.refusal = error;
      // An answer is serialized once: the call log keeps the same text the transport sends.
      if (response && typeof response.body === 'object' && response.headers.location === undefined) response.text = JSON.stringify(response.body);
      callLog.add(record(request, at, endpoint, via, params, tokens, made, response, error, gateway.signVerdict(params), started), response?.text);
    }
  };
}
