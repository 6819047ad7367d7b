import type { Order } from '../core/order.js';
import { encodeBody, notifyFields, signNotify } from '../core/notify.js';
import { NOTIFY_TIMEOUT_MS } from '../core/protocol.js';

/**
 * The conformance battery of a merchant's notify endpoint: real notifies, each on an order made for
 * the purpose, posted to the endpoint, and what it answered held against PAYJS's rules
 * (docs/protocol.md §14). One module, used by `payjs-sandbox check-notify`, `POST
 * /__sandbox/conformance`, the dashboard and `assertNotifyEndpoint`.
 */

/** What one POST came to. */
export interface Send {
  status?: number;
  /** The endpoint's answer, cut at 300 characters. */
  response?: string;
  ms: number;
  /** `timeout`, `refused`, … when no answer came. */
  error?: string;
}

/** Posts a body with a content type; never throws. */
export type Poster = (url: string, body: string, contentType: string, timeoutMs: number) => Promise<Send>;

/** `pass` and `fail` are verdicts; `info` is reported and never fails the battery. */
export type Verdict = 'pass' | 'fail' | 'info';

/** How bad a failure of the case is. */
export type Severity = 'critical' | 'major' | 'minor' | 'info';

/** Why a failure matters, how to fix it, and the PAYJS rule behind it. */
export interface Finding {
  why: string;
  fix: string;
  rule: string;
}

export interface CaseResult {
  id: CaseId;
  title: string;
  severity: Severity;
  verdict: Verdict;
  /** What a correct endpoint answers. */
  expected: string;
  /** What this one answered, in a line. */
  got: string;
  sends: Send[];
  /** p50 and max of the answer times (ms), for the cases that send several times. */
  timing?: { p50: number; max: number; sends: number };
  /** Set when the verdict is `fail` (and for `info`). */
  finding?: Finding;
}

export interface ConformanceReport {
  id: string;
  url: string;
  mchid: string;
  /** When it ran (epoch ms, sandbox clock). */
  at: number;
  /** Real milliseconds the whole battery took. */
  ms: number;
  /** No case failed (`info` never fails). */
  passed: boolean;
  summary: { pass: number; fail: number; info: number };
  cases: CaseResult[];
}

/** The orders the battery needs, made by the sandbox through its gateway. */
export interface BatteryOrders {
  /** A new paid order of the merchant: Alipay or WeChat, with or without `attach`. */
  paid(kind: { alipay?: boolean; attach?: boolean }): Promise<Order>;
  /** Refunds it (the out-of-order case). */
  refund(order: Order): Promise<Order>;
}

export interface BatteryOptions {
  url: string;
  merchant: { mchid: string; key: string };
  orders: BatteryOrders;
  id?: string;
  /** Sandbox time the report is stamped with. */
  now?: () => number;
  post?: Poster;
  /** PAYJS's deadline for an answer (3 s, docs/protocol.md §14). */
  deadlineMs?: number;
  /** How many times the valid notify is sent for the timing (default 5). */
  sends?: number;
}

export type CaseId = 'valid' | 'alipay' | 'duplicate' | 'forged' | 'extra-fields' | 'optional-absent' | 'out-of-order' | 'json-body';

const RULE = 'docs/protocol.md §14';

/** What each case checks, and what its failure means: the wording of the report, in one block. */
export const CASES: Record<CaseId, { title: string; severity: Severity; expected: string; why: string; fix: string; rule: string }> = {
  valid: {
    title: 'a valid notify (form-encoded, exactly PAYJS\'s fields) is acknowledged in time',
    severity: 'critical',
    expected: 'HTTP 200 within 3 s, every time',
    why: 'PAYJS counts only an HTTP 200 within 3 s as delivered; anything else is retried for an hour and then given up, and the order stays unpaid on your side although the payer paid.',
    fix: 'Read the body as application/x-www-form-urlencoded, verify the sign over every field received except sign, mark the order paid, and answer HTTP 200 (the sample answers "success") within 3 s; do slow work after answering.',
    rule: `${RULE}: POST, form-encoded, answer within 3 s; HTTP 200 marks the notify delivered`,
  },
  alipay: {
    title: 'the Alipay variant (type=alipay) is acknowledged',
    severity: 'major',
    expected: 'HTTP 200',
    why: 'Alipay orders carry one more field, type=alipay, in the signed body; an endpoint that expects WeChat\'s fields only refuses every Alipay payment.',
    fix: 'Verify the sign over every field received (type included); do not require or reject type.',
    rule: `${RULE}: type is absent for WeChat and "alipay" for Alipay orders`,
  },
  duplicate: {
    title: 'the same notify again is acknowledged (idempotent)',
    severity: 'major',
    expected: 'HTTP 200 both times, no 5xx',
    why: 'PAYJS warns that notifies can come more than once; an endpoint that fails the second time makes PAYJS retry for an hour, and one that ships twice loses goods.',
    fix: 'Key the handling on payjs_order_id: if the order is already paid, answer 200 and do nothing more.',
    rule: `${RULE}: duplicates can happen, deduplicate`,
  },
  forged: {
    title: 'a notify with a forged sign is refused',
    severity: 'critical',
    expected: 'anything but HTTP 200',
    why: 'Your endpoint accepts forged notifies: anyone who knows your notify_url can mark any order paid without paying. This is the worst finding.',
    fix: 'Compute the sign over the received fields (sign excluded, empty values dropped, ASCII order, &key=YOUR_KEY, MD5, upper case) and refuse the notify — answer 4xx and change nothing — when it differs from the sign received.',
    rule: `${RULE}: sign covers all other received fields (and docs/protocol.md §3 for the algorithm)`,
  },
  'extra-fields': {
    title: 'a notify with unknown extra fields, signed, is acknowledged',
    severity: 'major',
    expected: 'HTTP 200',
    why: 'Your endpoint drops unknown fields before verifying the sign: the day PAYJS adds a field, every notify fails verification and no payment reaches you.',
    fix: 'Verify the sign over every field received, known or not; never over a fixed list of fields.',
    rule: `${RULE}: new fields may be added, verify over everything received`,
  },
  'optional-absent': {
    title: 'a notify without the optional fields (no attach, no openid) is acknowledged',
    severity: 'minor',
    expected: 'HTTP 200',
    why: 'attach is sent only when the order has one; an endpoint that requires it (or reads openid without a fallback) refuses valid notifies.',
    fix: 'Treat attach and openid as optional: read them with a default, and sign only the fields that arrived.',
    rule: `${RULE}: attach is optional (N), sent only when not empty`,
  },
  'out-of-order': {
    title: 'the paid notify replayed after a refund is acknowledged without error',
    severity: 'major',
    expected: 'HTTP 200 both times, no 5xx',
    why: 'A retry of the paid notify can arrive after the order was refunded; an endpoint that crashes on it is retried for an hour, and one that marks the order paid again undoes the refund.',
    fix: 'When the order is already past "paid" (refunded, shipped), answer 200 and leave it as it is: a notify only ever moves an unpaid order to paid.',
    rule: `${RULE}: retries at 0, 15, 30, 180, 1800 and 3600 s can arrive after later events`,
  },
  'json-body': {
    title: 'a JSON body instead of a form (information only)',
    severity: 'info',
    expected: 'PAYJS never sends this: any answer is acceptable',
    why: 'PAYJS posts application/x-www-form-urlencoded, explicitly not JSON; a handler written for JSON never sees a real notify.',
    fix: 'Nothing to fix if the form cases pass. If only this case is acknowledged, your handler reads JSON: read the form body instead.',
    rule: `${RULE}: body application/x-www-form-urlencoded (explicitly not JSON)`,
  },
};

const FORM = 'application/x-www-form-urlencoded';

/** A poster on undici's request (not fetch, whose "bad ports" list refuses endpoints on ports
 * such as 6000); no redirects followed, as PAYJS does not. */
export const undiciPoster: Poster = async (url, body, contentType, timeoutMs) => {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const { request } = await import('undici');
    const res = await request(url, { method: 'POST', body, headers: { 'content-type': contentType, 'user-agent': 'payjs-sandbox conformance' }, signal });
    const response = (await res.body.text()).slice(0, 300);
    return { status: res.statusCode, response, ms: ms() };
  } catch (err) {
    const code = (err as { code?: string }).code ?? (err as { cause?: { code?: string } }).cause?.code;
    const error = signal.aborted ? 'timeout' : code === 'ECONNREFUSED' ? 'refused' : code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' ? 'reset' : code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'dns' : 'other';
    return { ms: ms(), error };
  }
};

const answered = (s: Send) => (s.status !== undefined ? `HTTP ${s.status}` : s.error === 'timeout' ? 'no answer within the deadline' : `no answer (${s.error})`);
const all200 = (sends: Send[]) => sends.every((s) => s.status === 200);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : Math.round((s[s.length / 2 - 1] + s[s.length / 2]) / 2);
};

/** Runs every case, the independent ones concurrently; never throws for what the endpoint does. */
export async function runNotifyBattery(options: BatteryOptions): Promise<ConformanceReport> {
  const { url, merchant, orders } = options;
  const post = options.post ?? undiciPoster;
  const deadline = options.deadlineMs ?? NOTIFY_TIMEOUT_MS;
  const started = performance.now();
  const form = (fields: Record<string, string>) => post(url, encodeBody(fields), FORM, deadline);
  const fieldsOf = (order: Order) => notifyFields(order, merchant.key);

  const run: Record<CaseId, () => Promise<Omit<CaseResult, 'id' | 'title' | 'severity' | 'expected' | 'finding'>>> = {
    async valid() {
      const fields = fieldsOf(await orders.paid({ attach: true }));
      const sends: Send[] = [];
      // The first failed send decides the verdict: stop there, so an endpoint that never answers
      // costs one deadline here, not five.
      for (let i = 0; i < (options.sends ?? 5); i++) {
        sends.push(await form(fields));
        if (sends[i].status !== 200) break;
      }
      const times = sends.map((s) => s.ms);
      const ok = all200(sends) && Math.max(...times) <= deadline;
      const bad = sends.find((s) => s.status !== 200);
      return { verdict: ok ? 'pass' : 'fail', sends, timing: { p50: median(times), max: Math.max(...times), sends: sends.length }, got: bad ? `${answered(bad)} on send ${sends.indexOf(bad) + 1} of ${sends.length}` : `HTTP 200 × ${sends.length}` };
    },
    async alipay() {
      const s = await form(fieldsOf(await orders.paid({ alipay: true, attach: true })));
      return { verdict: s.status === 200 ? 'pass' : 'fail', sends: [s], got: answered(s) };
    },
    async duplicate() {
      const fields = fieldsOf(await orders.paid({ attach: true }));
      const sends = [await form(fields), await form(fields)];
      return { verdict: all200(sends) ? 'pass' : 'fail', sends, got: sends.map(answered).join(', then ') };
    },
    async forged() {
      const s = await form(signNotify(fieldsOf(await orders.paid({ attach: true })), merchant.key, { forged: true }));
      return { verdict: s.status === 200 ? 'fail' : 'pass', sends: [s], got: answered(s) };
    },
    async 'extra-fields'() {
      const s = await form(signNotify(fieldsOf(await orders.paid({ attach: true })), merchant.key, { extraFields: true }));
      return { verdict: s.status === 200 ? 'pass' : 'fail', sends: [s], got: answered(s) };
    },
    async 'optional-absent'() {
      const { openid: _openid, attach: _attach, ...rest } = fieldsOf(await orders.paid({ attach: false }));
      const s = await form(signNotify(rest, merchant.key));
      return { verdict: s.status === 200 ? 'pass' : 'fail', sends: [s], got: answered(s) };
    },
    async 'out-of-order'() {
      const order = await orders.paid({ attach: true });
      const fields = fieldsOf(order);
      const first = await form(fields);
      await orders.refund(order);
      const replay = await form(fields);
      const sends = [first, replay];
      return { verdict: all200(sends) ? 'pass' : 'fail', sends, got: `${answered(first)}, then after the refund ${answered(replay)}` };
    },
    async 'json-body'() {
      const s = await post(url, JSON.stringify(fieldsOf(await orders.paid({ attach: true }))), 'application/json', deadline);
      return { verdict: 'info', sends: [s], got: s.status === 200 ? 'HTTP 200: the endpoint also takes JSON (harmless while the form cases pass)' : `${answered(s)}: the endpoint reads forms only, as it should` };
    },
  };

  // Every case has its own order: they are independent and run at once.
  const cases = await Promise.all((Object.keys(CASES) as CaseId[]).map(async (id): Promise<CaseResult> => {
    const c = CASES[id];
    const head = { id, title: c.title, severity: c.severity, expected: c.expected };
    const r = await run[id]();
    return { ...head, ...r, ...(r.verdict === 'pass' ? {} : { finding: { why: c.why, fix: c.fix, rule: c.rule } }) };
  }));
  const count = (v: Verdict) => cases.filter((c) => c.verdict === v).length;
  return {
    id: options.id ?? 'report',
    url,
    mchid: merchant.mchid,
    at: options.now?.() ?? Date.now(),
    ms: Math.round(performance.now() - started),
    passed: count('fail') === 0,
    summary: { pass: count('pass'), fail: count('fail'), info: count('info') },
    cases,
  };
}

/** The report as text, worst findings first: what the CLI prints. */
export function formatReport(report: ConformanceReport): string {
  const rank: Record<Severity, number> = { critical: 0, major: 1, minor: 2, info: 3 };
  const order = [...report.cases].sort((a, b) => Number(a.verdict === 'pass') - Number(b.verdict === 'pass') || rank[a.severity] - rank[b.severity]);
  const lines = [`notify endpoint ${report.url} (mchid ${report.mchid}): ${report.passed ? 'conforms' : 'DOES NOT CONFORM'} — ${report.summary.pass} passed, ${report.summary.fail} failed, ${report.summary.info} for information, in ${report.ms} ms`];
  for (const c of order) {
    const mark = c.verdict === 'pass' ? 'ok  ' : c.verdict === 'fail' ? 'FAIL' : 'info';
    lines.push(`  ${mark} ${c.title}${c.verdict === 'fail' ? ` [${c.severity}]` : ''}`);
    lines.push(`       expected ${c.expected}; got ${c.got}${c.timing ? ` (p50 ${c.timing.p50} ms, max ${c.timing.max} ms over ${c.timing.sends} sends)` : ''}`);
    if (c.finding && c.verdict === 'fail') lines.push(`       why: ${c.finding.why}`, `       fix: ${c.finding.fix}`, `       rule: ${c.finding.rule}`);
    if (c.finding && c.verdict === 'info') lines.push(`       note: ${c.finding.why}`);
  }
  return lines.join('\n');
}
