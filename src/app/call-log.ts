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

/** What a call's record holds beyond the fields the log is queried by, as one JSON text. */
interface Detail {
  params: RecordedCall['params'];
  diagnosis?: SignDiagnosis;
  answer: unknown;
  scenario?: string[];
}

/**
 * A call as the log keeps it: what the queries filter on and the other scalars as fields; the
 * parameters, the answer, the diagnosis and the scenario as JSON text in a `TextChunks`, outside
 * V8's heap, parsed again when the call is read. 10,000 records live in the old generation for as
 * long as the log keeps them, so their size and number of objects set how often V8 marks the
 * whole heap and for how long (docs/benchmarks.md, "The create p99 and V8's GC threads"): a
 * create's RecordedCall was ~940 B of heap in 16 objects (the record and its property arrays, its
 * parameters and its answer with their strings, two heap numbers); kept like this it is ~190 B
 * in two (this object and its time), plus ~500 B of text off the heap. Strings that repeat from
 * call to call (method, path, endpoint, transport, …) are kept once (`Interned`).
 */
class Kept {
  constructor(
    readonly id: number,
    readonly at: number,
    readonly method: string,
    readonly path: string,
    readonly endpoint: string,
    readonly transport: string,
    readonly via: Via | undefined,
    readonly host: string | undefined,
    readonly mchid: string | undefined,
    readonly payjs_order_id: string | undefined,
    readonly out_trade_no: string | undefined,
    readonly sign: SignVerdict,
    readonly error: ErrorCode | undefined,
    readonly status: number,
    /** `ms` in hundredths (a small integer, held in the object: a fraction would be a heap number). */
    readonly centiMs: number,
    /** The rest, as JSON text: bytes `start` to `end` of `chunk` (TextChunks). */
    private readonly chunk: Buffer,
    private readonly start: number,
    private readonly end: number,
  ) {}

  /** `answerText`: the answer already as JSON text (ApiResponse.text), spliced in as it is. */
  static of(c: RecordedCall, interned: Interned, texts: TextChunks, answerText?: string): Kept {
    const s = (v: string | undefined) => (v === undefined ? v : interned.get(v));
    return new Kept(c.id, c.at, s(c.method)!, s(c.path)!, s(c.endpoint)!, s(c.transport)!, c.via, s(c.host), s(c.mchid), c.payjs_order_id, c.out_trade_no, c.sign, c.error, c.status, Math.round(c.ms * 100), ...texts.add(detailText(c, answerText)));
  }

  /** The same call with its text moved to `texts` (the log's compaction after a clear). */
  movedTo(texts: TextChunks): Kept {
    const k = this;
    return new Kept(k.id, k.at, k.method, k.path, k.endpoint, k.transport, k.via, k.host, k.mchid, k.payjs_order_id, k.out_trade_no, k.sign, k.error, k.status, k.centiMs, ...texts.add(k.text()));
  }

  private text(): string {
    return this.chunk.toString('utf8', this.start, this.end);
  }

  /** The RecordedCall again, its fields in the order the log shows them; a new object each time. */
  expanded(): RecordedCall {
    const d = JSON.parse(this.text()) as Detail;
    const call: RecordedCall = { id: this.id, at: this.at, method: this.method, path: this.path, endpoint: this.endpoint, transport: this.transport } as RecordedCall;
    if (this.via !== undefined) call.via = this.via;
    if (this.host !== undefined) call.host = this.host;
    call.params = d.params;
    call.mchid = this.mchid;
    call.payjs_order_id = this.payjs_order_id;
    call.out_trade_no = this.out_trade_no;
    call.sign = this.sign;
    if (d.diagnosis) call.diagnosis = d.diagnosis;
    if (this.error !== undefined) call.error = this.error;
    call.status = this.status;
    call.answer = d.answer;
    if (d.scenario) call.scenario = d.scenario;
    call.ms = this.centiMs / 100;
    return call;
  }
}

/** A call's Detail as JSON text: the text JSON.stringify makes of it, with the answer's text
 * spliced in when it is given (it is the JSON.stringify of `c.answer`). */
function detailText(c: RecordedCall, answerText: string | undefined): string {
  if (answerText === undefined) return JSON.stringify({ params: c.params, diagnosis: c.diagnosis, answer: c.answer, scenario: c.scenario } satisfies Detail);
  const head = JSON.stringify({ params: c.params, diagnosis: c.diagnosis });
  const scenario = c.scenario === undefined ? '' : `,"scenario":${JSON.stringify(c.scenario)}`;
  return `${head.slice(0, -1)},"answer":${answerText}${scenario}}`;
}

/**
 * Texts appended to chunks of memory outside V8's heap (Buffers), each text a range of its
 * chunk. A chunk is freed by the GC when no record points into it any longer: texts dropped
 * oldest first free whole chunks; the log moves what is left to new chunks after it drops texts
 * here and there (`CallLog.clear` by merchant), so that a few old texts do not hold many chunks.
 */
class TextChunks {
  private chunk = Buffer.allocUnsafeSlow(0);
  private used = 0;

  constructor(private readonly chunkBytes = 256 * 1024) {}

  /** Appends `text`: the chunk it went to, and where in it. */
  add(text: string): [chunk: Buffer, start: number, end: number] {
    // A UTF-16 code unit takes at most 3 bytes of UTF-8 (a pair of them, 4): room enough, and
    // one pass over the text, not two (Buffer.byteLength, then write).
    const room = 3 * text.length;
    if (this.chunk.length - this.used < room) {
      this.chunk = Buffer.allocUnsafeSlow(Math.max(this.chunkBytes, room));
      this.used = 0;
    }
    const start = this.used;
    this.used += this.chunk.write(text, start);
    return [this.chunk, start, this.used];
  }
}

/** One copy of each string that repeats from call to call, up to `limit` different ones (a
 * client naming a new Host on every call must not grow the table without end). */
class Interned {
  private readonly strings = new Map<string, string>();

  constructor(private readonly limit = 1000) {}

  get(s: string): string {
    const kept = this.strings.get(s);
    if (kept !== undefined) return kept;
    if (this.strings.size < this.limit) this.strings.set(s, s);
    return s;
  }
}

/**
 * The call log: every API call, newest last, in memory and bounded (the oldest go first):
 * it is for looking at and asserting on, not an acknowledged state that must survive a crash.
 */
export class CallLog {
  private calls: Kept[] = [];
  private readonly listeners = new Set<(c: RecordedCall) => void>();
  private readonly interned = new Interned();
  private texts = new TextChunks();
  private nextId = 1;

  constructor(private readonly limit = 10_000) {}

  /** Keeps a call, numbered here (its `id` is overwritten), and hands it to the listeners as
   * given; the log keeps it compact (`Kept`), so later changes to the object are not seen.
   * `answerText`: `recorded.answer` as JSON text, when the caller has it already. */
  add(recorded: RecordedCall, answerText?: string): RecordedCall {
    recorded.id = this.nextId++;
    this.calls.push(Kept.of(recorded, this.interned, this.texts, answerText));
    // Trim a tenth at a time: one splice per call would move the whole list on every request.
    if (this.calls.length > this.limit * 1.1) this.calls.splice(0, this.calls.length - this.limit);
    if (this.listeners.size > 0) for (const listener of [...this.listeners]) listener(recorded);
    return recorded;
  }

  /** The calls that match every given field, oldest first: new objects on each call. With
   * `newest`, only the last that many of them (the rest are not parsed from their text). */
  list(filter: CallFilter = {}, newest?: number): RecordedCall[] {
    const matching = this.matching(filter);
    return (newest === undefined || matching.length <= newest ? matching : matching.slice(matching.length - newest)).map((c) => c.expanded());
  }

  /** How many calls match every given field (none of them parsed from its text). */
  count(filter: CallFilter = {}): number {
    return this.matching(filter).length;
  }

  private matching(filter: CallFilter): Kept[] {
    const calls = this.calls.length > this.limit ? this.calls.slice(-this.limit) : this.calls;
    const keys = Object.entries(filter).filter(([, v]) => v !== undefined) as [keyof CallFilter, string][];
    return keys.length ? calls.filter((c) => keys.every(([k, v]) => c[k] === v)) : calls;
  }

  onCall(listener: (c: RecordedCall) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  clear(filter: { mchid?: string } = {}): void {
    if (!filter.mchid) {
      this.calls.length = 0;
      this.texts = new TextChunks();
    } else {
      // The texts of the calls left move to new chunks: the old ones go with the calls dropped.
      this.texts = new TextChunks();
      this.calls = this.calls.filter((c) => c.mchid !== filter.mchid).map((c) => c.movedTo(this.texts));
    }
  }
}
