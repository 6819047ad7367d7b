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

/** What a call's record holds beyond the fields the log keeps in its columns, as one JSON text. */
interface Detail {
  params: RecordedCall['params'];
  diagnosis?: SignDiagnosis;
  answer: unknown;
  scenario?: string[];
}

/** The fields of few distinct values (from call to call), kept as references to one copy each. */
type SharedField = 'method' | 'path' | 'endpoint' | 'transport' | 'via' | 'host' | 'mchid' | 'sign' | 'error';
const SHARED: readonly SharedField[] = ['method', 'path', 'endpoint', 'transport', 'via', 'host', 'mchid', 'sign', 'error'];
/** The fields unique to a call, kept as bytes beside its Detail text (`present` bits 1 and 2). */
const HAS_ORDER_ID = 1;
const HAS_OUT_TRADE_NO = 2;

/** One call's parts as the log stores them (a short-lived value: add, and the moves of `clear`). */
interface Parts {
  id: number;
  at: number;
  status: number;
  centiMs: number;
  shared: (string | undefined)[];
  payjs_order_id: string | undefined;
  out_trade_no: string | undefined;
  detail: string;
}

/**
 * The log's storage: a ring of calls in columns, with no object of its own per call. 10,000 calls
 * stay in memory for as long as the log keeps them, longer than V8's young generation keeps
 * anything, so whatever a call leaves on the heap is promoted and then dies in the old
 * generation, and that churn sets how often V8 marks the whole heap. With one object per call
 * (~470 B promoted per check, its strings counted) a sandbox answering 34k checks/s ran a
 * mark-compact every half second (docs/benchmarks.md, "The call log's records off the heap").
 * Here numbers are in typed arrays, the strings that repeat (method, path, endpoint, …) are
 * references to one copy (`Interned`), and the rest — payjs_order_id, out_trade_no, and the
 * parameters, answer, diagnosis and scenario as JSON text — are bytes in chunks of memory outside
 * the heap (`TextChunks`), parsed again when a call is read. Columns grow by doubling up to the
 * log's limit, then the newest call takes the oldest one's place.
 */
class Columns {
  readonly ids: Float64Array;
  readonly ats: Float64Array;
  readonly centiMs: Float64Array;
  readonly status: Uint16Array;
  readonly present: Uint8Array;
  /** The chunk of the call's bytes (TextChunks' serial number), and where its parts start and end
   * in it: payjs_order_id from `starts`, out_trade_no from `idEnds`, Detail from `otnEnds`. */
  readonly chunks: Float64Array;
  readonly starts: Uint32Array;
  readonly idEnds: Uint32Array;
  readonly otnEnds: Uint32Array;
  readonly ends: Uint32Array;
  readonly shared: (string | undefined)[][];

  constructor(readonly capacity: number) {
    this.ids = new Float64Array(capacity);
    this.ats = new Float64Array(capacity);
    this.centiMs = new Float64Array(capacity);
    this.status = new Uint16Array(capacity);
    this.present = new Uint8Array(capacity);
    this.chunks = new Float64Array(capacity);
    this.starts = new Uint32Array(capacity);
    this.idEnds = new Uint32Array(capacity);
    this.otnEnds = new Uint32Array(capacity);
    this.ends = new Uint32Array(capacity);
    this.shared = SHARED.map(() => new Array<string | undefined>(capacity).fill(undefined));
  }

  /** Slot `from` of `source` copied to slot `to` here. */
  copy(source: Columns, from: number, to: number): void {
    this.ids[to] = source.ids[from];
    this.ats[to] = source.ats[from];
    this.centiMs[to] = source.centiMs[from];
    this.status[to] = source.status[from];
    this.present[to] = source.present[from];
    this.chunks[to] = source.chunks[from];
    this.starts[to] = source.starts[from];
    this.idEnds[to] = source.idEnds[from];
    this.otnEnds[to] = source.otnEnds[from];
    this.ends[to] = source.ends[from];
    for (let f = 0; f < SHARED.length; f++) this.shared[f][to] = source.shared[f][from];
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
 * Texts appended to chunks of memory outside V8's heap (Buffers), each call's texts one after
 * another in one chunk, named by the chunk's serial number. The log drops chunks oldest first,
 * once no call it keeps is in them (`dropBefore`), and a dropped chunk is written again, not
 * freed: a chunk lives longer than V8's young generation, and a new one for each 256 KiB of texts
 * made V8 collect the old generation for their memory alone — at 34k checks/s, a mark-compact
 * every 0.6 s with 1.7 MB of the heap freed by each (docs/benchmarks.md). After `CallLog.clear`
 * by merchant the calls left move to a new TextChunks, so that a few old calls do not hold many
 * chunks.
 */
class TextChunks {
  private readonly kept: Buffer[] = [];
  /** Chunks of `chunkBytes` no call is in any longer, to be written again. */
  private readonly spare: Buffer[] = [];
  /** The serial number of `kept[0]`. */
  private first = 0;
  private used = 0;

  constructor(private readonly chunkBytes = 256 * 1024) {}

  /** Appends the texts one after another: the chunk they went to, where the first starts, and
   * where each ends. */
  add(texts: string[]): { chunk: number; start: number; ends: number[] } {
    // A UTF-16 code unit takes at most 3 bytes of UTF-8 (a pair of them, 4): room enough, and
    // one pass over each text, not two (Buffer.byteLength, then write).
    let room = 0;
    for (const t of texts) room += 3 * t.length;
    let chunk = this.kept[this.kept.length - 1];
    if (!chunk || chunk.length - this.used < room) {
      chunk = (room <= this.chunkBytes && this.spare.pop()) || Buffer.allocUnsafeSlow(Math.max(this.chunkBytes, room));
      this.kept.push(chunk);
      this.used = 0;
    }
    const start = this.used;
    const ends = texts.map((t) => (this.used += chunk.write(t, this.used)));
    return { chunk: this.first + this.kept.length - 1, start, ends };
  }

  chunk(serial: number): Buffer {
    return this.kept[serial - this.first];
  }

  /** The chunks before `serial` are free: kept to be written again (a few), or let go. */
  dropBefore(serial: number): void {
    const n = Math.min(serial - this.first, this.kept.length - 1);
    if (n <= 0) return;
    for (const chunk of this.kept.splice(0, n)) if (chunk.length === this.chunkBytes && this.spare.length < SPARE_CHUNKS) this.spare.push(chunk);
    this.first += n;
  }
}
/** Dropped chunks kept for reuse: a few, so that a burst of long texts does not stay held. */
const SPARE_CHUNKS = 4;

/** One copy of each string that repeats from call to call, up to `limit` different ones (a
 * client naming a new Host on every call must not grow the table without end). */
class Interned {
  private readonly strings = new Map<string, string>();

  constructor(private readonly limit = 1000) {}

  get(s: string | undefined): string | undefined {
    if (s === undefined) return s;
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
  private readonly listeners = new Set<(c: RecordedCall) => void>();
  private readonly interned = new Interned();
  private texts = new TextChunks();
  private columns = new Columns(0);
  /** The slot of the oldest call kept, and how many are kept. */
  private head = 0;
  private size = 0;
  private nextId = 1;

  constructor(private readonly limit = 10_000) {}

  /** Keeps a call, numbered here (its `id` is overwritten), and hands it to the listeners as
   * given; the log keeps it in its own form, so later changes to the object are not seen.
   * `answerText`: `recorded.answer` as JSON text, when the caller has it already. */
  add(recorded: RecordedCall, answerText?: string): RecordedCall {
    recorded.id = this.nextId++;
    this.put({
      id: recorded.id,
      at: recorded.at,
      status: recorded.status,
      centiMs: Math.round(recorded.ms * 100),
      shared: SHARED.map((f) => this.interned.get(recorded[f])),
      payjs_order_id: recorded.payjs_order_id,
      out_trade_no: recorded.out_trade_no,
      detail: detailText(recorded, answerText),
    });
    if (this.listeners.size > 0) for (const listener of [...this.listeners]) listener(recorded);
    return recorded;
  }

  /** The calls that match every given field, oldest first: new objects on each call. With
   * `newest`, only the last that many of them (the rest are not parsed from their text). */
  list(filter: CallFilter = {}, newest?: number): RecordedCall[] {
    const matching = this.matching(filter);
    return (newest === undefined || matching.length <= newest ? matching : matching.slice(matching.length - newest)).map((slot) => this.expanded(slot));
  }

  /** How many calls match every given field (none of them parsed from its text). */
  count(filter: CallFilter = {}): number {
    return this.matching(filter).length;
  }

  onCall(listener: (c: RecordedCall) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  clear(filter: { mchid?: string } = {}): void {
    // The calls left (if any) move to new chunks: the old ones go with the calls dropped.
    const left = filter.mchid ? this.matching({}).filter((slot) => this.columns.shared[MCHID][slot] !== filter.mchid).map((slot) => this.parts(slot)) : [];
    this.texts = new TextChunks();
    this.columns = new Columns(0);
    this.head = 0;
    this.size = 0;
    for (const parts of left) this.put(parts);
  }

  private put(p: Parts): void {
    if (this.limit < 1) return;
    if (this.size === this.columns.capacity) {
      if (this.columns.capacity < this.limit) this.grow();
      else {
        this.head = (this.head + 1) % this.columns.capacity;
        this.size--;
      }
    }
    const k = this.columns;
    const slot = (this.head + this.size++) % k.capacity;
    const { chunk, start, ends } = this.texts.add([p.payjs_order_id ?? '', p.out_trade_no ?? '', p.detail]);
    k.ids[slot] = p.id;
    k.ats[slot] = p.at;
    k.status[slot] = p.status;
    k.centiMs[slot] = p.centiMs;
    k.present[slot] = (p.payjs_order_id === undefined ? 0 : HAS_ORDER_ID) | (p.out_trade_no === undefined ? 0 : HAS_OUT_TRADE_NO);
    k.chunks[slot] = chunk;
    k.starts[slot] = start;
    k.idEnds[slot] = ends[0];
    k.otnEnds[slot] = ends[1];
    k.ends[slot] = ends[2];
    for (let f = 0; f < SHARED.length; f++) k.shared[f][slot] = p.shared[f];
    this.texts.dropBefore(k.chunks[this.head]);
  }

  /** Twice the room (at least 16), up to the limit, the calls in the same order from slot 0. */
  private grow(): void {
    const old = this.columns;
    const next = new Columns(Math.min(this.limit, Math.max(16, old.capacity * 2)));
    for (let i = 0; i < this.size; i++) next.copy(old, (this.head + i) % old.capacity, i);
    this.columns = next;
    this.head = 0;
  }

  /** The slots of the calls that match every given field, oldest first. */
  private matching(filter: CallFilter): number[] {
    const k = this.columns;
    const shared: [number, string][] = [];
    const bytes: [bit: number, value: Buffer][] = [];
    for (const [key, v] of Object.entries(filter) as [keyof CallFilter, string | undefined][]) {
      if (v === undefined) continue;
      if (key === 'payjs_order_id') bytes.push([HAS_ORDER_ID, Buffer.from(v)]);
      else if (key === 'out_trade_no') bytes.push([HAS_OUT_TRADE_NO, Buffer.from(v)]);
      else {
        const f = SHARED.indexOf(key);
        if (f < 0) return []; // not a field the log is queried by: no call has it
        shared.push([f, v]);
      }
    }
    const slots: number[] = [];
    next: for (let i = 0; i < this.size; i++) {
      const slot = (this.head + i) % k.capacity;
      for (const [f, v] of shared) if (k.shared[f][slot] !== v) continue next;
      for (const [bit, v] of bytes) {
        if (!(k.present[slot] & bit)) continue next;
        const [from, to] = bit === HAS_ORDER_ID ? [k.starts[slot], k.idEnds[slot]] : [k.idEnds[slot], k.otnEnds[slot]];
        if (this.texts.chunk(k.chunks[slot]).compare(v, 0, v.length, from, to) !== 0) continue next;
      }
      slots.push(slot);
    }
    return slots;
  }

  private parts(slot: number): Parts {
    const k = this.columns;
    const chunk = this.texts.chunk(k.chunks[slot]);
    return {
      id: k.ids[slot],
      at: k.ats[slot],
      status: k.status[slot],
      centiMs: k.centiMs[slot],
      shared: k.shared.map((column) => column[slot]),
      payjs_order_id: k.present[slot] & HAS_ORDER_ID ? chunk.toString('utf8', k.starts[slot], k.idEnds[slot]) : undefined,
      out_trade_no: k.present[slot] & HAS_OUT_TRADE_NO ? chunk.toString('utf8', k.idEnds[slot], k.otnEnds[slot]) : undefined,
      detail: chunk.toString('utf8', k.otnEnds[slot], k.ends[slot]),
    };
  }

  /** The RecordedCall again, its fields in the order the log shows them; a new object each time. */
  private expanded(slot: number): RecordedCall {
    const p = this.parts(slot);
    const [method, path, endpoint, transport, via, host, mchid, sign, error] = p.shared;
    const d = JSON.parse(p.detail) as Detail;
    const call = { id: p.id, at: p.at, method, path, endpoint, transport } as RecordedCall;
    if (via !== undefined) call.via = via as Via;
    if (host !== undefined) call.host = host;
    call.params = d.params;
    call.mchid = mchid;
    call.payjs_order_id = p.payjs_order_id;
    call.out_trade_no = p.out_trade_no;
    call.sign = sign as SignVerdict;
    if (d.diagnosis) call.diagnosis = d.diagnosis;
    if (error !== undefined) call.error = error as ErrorCode;
    call.status = p.status;
    call.answer = d.answer;
    if (d.scenario) call.scenario = d.scenario;
    call.ms = p.centiMs / 100;
    return call;
  }
}

const MCHID = SHARED.indexOf('mchid');
