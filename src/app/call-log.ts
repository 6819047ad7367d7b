import type { ErrorCode } from '../core/errors.js';
import type { SignDiagnosis } from '../core/sign.js';

/** How a call reached the sandbox (RecordedCall.via). */
export const VIAS = ['direct', 'proxy', 'tls', 'interceptor'] as const;
export type Via = (typeof VIAS)[number];
/** The verdict on a call's sign (RecordedCall.sign). */
export const SIGN_VERDICTS = ['valid', 'invalid', 'missing', 'unchecked'] as const;
export type SignVerdict = (typeof SIGN_VERDICTS)[number];

/** One API call a merchant made, as the sandbox saw and answered it. */
export interface RecordedCall {
  id: number;
  /** Sandbox time, epoch ms. */
  at: number;
  method: string;
  path: string;
  /** `native`, `check`, … */
  endpoint: string;
  /** How the parameters came: query, form, json or multipart. */
  transport: string;
  /** How the call reached the sandbox: `direct`, `proxy` (the interception proxy), `tls` (the
   * TLS listener) or `interceptor` (`payjs-sandbox/intercept` in a Node process). */
  via?: Via;
  /** The Host the client named (`payjs.cn` when the real code reached the sandbox unmodified). */
  host?: string;
  params: Record<string, unknown>;
  mchid?: string;
  payjs_order_id?: string;
  out_trade_no?: string;
  /** Whether the request's sign verified under the merchant's key; `unchecked` when no merchant
   * could be told (unknown mchid or order). */
  sign: SignVerdict;
  /** For an invalid sign: the canonical string (key masked), the expected sign, the likely cause. */
  diagnosis?: SignDiagnosis;
  /** The refusal, if the call was refused. */
  error?: ErrorCode;
  status: number;
  answer: unknown;
  /** Scenario tokens the call ran under. */
  scenario?: string[];
  ms: number;
}

/** What call-log queries filter on. */
export interface CallFilter {
  endpoint?: string;
  mchid?: string;
  payjs_order_id?: string;
  out_trade_no?: string;
  sign?: SignVerdict;
  via?: Via;
  host?: string;
}

/**
 * The call log: every API call, newest last, in memory and bounded (the oldest go first):
 * it is for looking at and asserting on, not an acknowledged state that must survive a crash.
 */
export class CallLog {
  private readonly calls: RecordedCall[] = [];
  private readonly listeners = new Set<(c: RecordedCall) => void>();
  private nextId = 1;

  constructor(private readonly limit = 10_000) {}

  /** Keeps a call, numbered here (its `id` is overwritten): the record is kept as given, not copied. */
  add(recorded: RecordedCall): RecordedCall {
    recorded.id = this.nextId++;
    this.calls.push(recorded);
    // Trim a tenth at a time: one splice per call would move the whole list on every request.
    if (this.calls.length > this.limit * 1.1) this.calls.splice(0, this.calls.length - this.limit);
    if (this.listeners.size > 0) for (const listener of [...this.listeners]) listener(recorded);
    return recorded;
  }

  /** The calls that match every given field, oldest first. */
  list(filter: CallFilter = {}): RecordedCall[] {
    const calls = this.calls.length > this.limit ? this.calls.slice(-this.limit) : this.calls;
    const keys = Object.entries(filter).filter(([, v]) => v !== undefined) as [keyof CallFilter, string][];
    return calls.filter((c) => keys.every(([k, v]) => c[k] === v));
  }

  onCall(listener: (c: RecordedCall) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  clear(filter: { mchid?: string } = {}): void {
    if (!filter.mchid) this.calls.length = 0;
    else for (let i = this.calls.length - 1; i >= 0; i--) if (this.calls[i].mchid === filter.mchid) this.calls.splice(i, 1);
  }
}
