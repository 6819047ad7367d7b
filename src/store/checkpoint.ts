import { closeSync, fsync, openSync, readFileSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { Records, type RecordSource } from './records.js';
import { Summary, type ColumnBytes } from './summary.js';
import { COLON, COMMA, lineKey, NEWLINE, QUOTE, Unparsed } from './unparsed.js';
import { YoungGenerationCap } from './young-generation.js';

/** One collection as the checkpoint walks it: its name and its live records. */
export type CollectionEntries = readonly [name: string, records: Records | ReadonlyMap<string, unknown>];

export interface CheckpointOptions {
  /** fsync the document before it replaces the old one, and the directory after. */
  fsync?: boolean;
  /** About how many bytes are serialised between two turns of the event loop (default 128 KiB). */
  sliceBytes?: number;
  /** Asked once everything is written, just before the rename: false leaves the old document
   * in place (a journal write failed meanwhile, and a value it took back may be in the file). */
  stillValid?: () => Promise<boolean>;
  /** The fields of each collection's records to keep in the document's summaries (see Summary). */
  summaries?: Readonly<Record<string, readonly string[]>>;
}

/** The temporary file beside the document: lowdb's writer (steno) uses the same name, so it is
 * the sandbox's own file already. */
export const tempFileOf = (file: string): string => join(dirname(file), `.${basename(file)}.tmp`);

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

const asRecords = (records: Records | ReadonlyMap<string, unknown>): Records => (records instanceof Records ? records : new Records(new Map(records)));

/**
 * Writes the lowdb document in slices of records, one slice per turn of the event loop, to the
 * temporary file, then renames it over the document (atomic: a reader or a crash sees the old
 * document or the new one, never a mix). Requests are served between slices, so a rewrite at
 * 100k orders is no longer one synchronous stall. The layout, one JSON document:
 *
 *     {"version":1,"seq":N,"collections":{
 *     "orders":{
 *     "key":{…record…},            one record per line (JSON.stringify never writes a newline)
 *     …
 *     }
 *     },"summaries":{
 *     "orders":{
 *     "code":["…",…],              one column per summarised field (see Summary)
 *     …
 *     }
 *     }
 *     ,"crc32":N}                  of every byte before this line
 *
 * The crc32 is what lets the next open keep records unparsed (readUnparsed): it proves the
 * bytes are this writer's, so each line is one record and the summaries are of these records.
 * A record not parsed since it was read is copied as its bytes, without parsing it. The crc32 is
 * left out once a record was found damaged (see Unparsed), so that the next open parses the
 * whole document and refuses it.
 *
 * This is a fuzzy checkpoint: records change while it runs, so each is written as it is when its
 * slice is reached, which may be newer than `seq`. That is exact after replay because every
 * journal line above `seq` is a whole value put, a delete or a clear, replayed in order: a record
 * changed after `seq` is overwritten by its journal lines whatever the document holds, and one
 * not changed since is the same in both. A record deleted and put again while the walk runs can
 * appear twice in its collection; JSON.parse keeps the last, the newer, and so does the reader.
 *
 * lowdb's own writer (DataFile → steno's Writer) takes the whole document as one string,
 * stringified synchronously: there is no incremental write in lowdb or steno to build on, so this
 * writes the same document lowdb reads, slice by slice.
 *
 * Resolves true once the new document is in place, false if `stillValid` said no (the
 * temporary file is then removed); rejects if a write fails (the old document stays).
 */
export async function writeCheckpoint(file: string, seq: number, collections: readonly CollectionEntries[], options: CheckpointOptions = {}): Promise<boolean> {
  const temp = tempFileOf(file);
  const sliceBytes = options.sliceBytes ?? 128 * 1024;
  const fd = openSync(temp, 'w');
  let opened = true;
  let crc = 0;
  let damaged = false;
  const write = (buf: Buffer) => {
    crc = crc32(buf, crc);
    for (let offset = 0; offset < buf.length; ) offset += writeSync(fd, buf, offset, buf.length - offset);
  };
  try {
    let parts: (string | Buffer)[] = [`{"version":1,"seq":${seq},"collections":{`];
    let size = 0;
    const flush = () => write(Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p))));
    /** Queues a part; once a slice's worth is queued, writes it and lets requests in. */
    const add = async (part: string | Buffer) => {
      parts.push(part);
      size += part.length;
      if (size < sliceBytes) return;
      flush();
      parts = [];
      size = 0;
      await nextTurn();
    };
    /** Per summarised collection: by field, the values of the new column; by row, the row of the
     * source document whose column values are copied as bytes (-1: the values are in `columns`),
     * and those bytes by field (a field without them has its values in `columns` for every row). */
    const summaries: [name: string, fields: readonly string[], columns: unknown[][], copied: number[], from: readonly (ColumnBytes | undefined)[]][] = [];
    let firstCollection = true;
    for (const [name, given] of collections) {
      const records = asRecords(given);
      parts.push(`${firstCollection ? '' : ','}\n${JSON.stringify(name)}:{`);
      firstCollection = false;
      const fields = options.summaries?.[name];
      const columns: unknown[][] | undefined = fields?.map(() => []);
      const copied: number[] = [];
      /** The source whose column bytes `copied` points into (a collection's unparsed records all
       * come from the document read at open), and those bytes by field. */
      let copyFrom: { source: RecordSource; elements: (ColumnBytes | undefined)[] } | undefined;
      /** For a record of any other source, or a field whose column could not be scanned: the
       * columns parsed (only those fields). */
      let loaded: { source: unknown; columns: (unknown[] | undefined)[] } | undefined;
      let first = true;
      for (const walked of records.walk()) {
        const head = `${first ? '' : ','}\n`;
        first = false;
        if (walked.line) {
          parts.push(head);
          damaged ||= walked.source.doc.damaged;
          if (fields) {
            const summary = walked.source.summary;
            if (!copyFrom) copyFrom = { source: walked.source, elements: await onePerTurn(fields, (f) => summary?.elements(f)) };
            const elements = copyFrom.source === walked.source ? copyFrom.elements : [];
            copied.push(elements.length > 0 ? walked.row : -1);
            for (let i = 0; i < fields.length; i++) {
              if (elements[i]) {
                columns![i].push(null); // written from the source's bytes
                continue;
              }
              if (loaded?.source !== walked.source) loaded = { source: walked.source, columns: await onePerTurn(fields, (f, j) => (elements[j] ? undefined : summary?.columns([f])?.[0])) };
              columns![i].push(Records.fieldOf(walked, fields[i], loaded.columns[i]) ?? null);
            }
          }
          await add(walked.line);
        } else {
          if (fields) {
            copied.push(-1);
            for (let i = 0; i < fields.length; i++) columns![i].push((walked.value as Record<string, unknown> | null)?.[fields[i]] ?? null);
          }
          await add(`${head}${JSON.stringify(walked.key)}:${JSON.stringify(walked.value)}`);
        }
      }
      if (fields) summaries.push([name, fields, columns!, copied, copyFrom?.elements ?? []]);
      parts.push('\n}');
    }
    parts.push('\n},"summaries":{');
    for (const [i, [name, fields, columns, copied, from]] of summaries.entries()) {
      parts.push(`${i === 0 ? '' : ','}\n${JSON.stringify(name)}:{`);
      for (const [j, field] of fields.entries()) {
        parts.push(`${j === 0 ? '' : ','}\n${JSON.stringify(field)}:[`);
        // A 100k column written at once is a stall of its own (1–7 ms each): runs of COLUMN_RUN
        // values, so that add() can let requests in between.
        const column = columns[j];
        for (let at = 0; at < column.length; at += COLUMN_RUN) {
          for (const part of columnRun(column, copied, from[j], at, Math.min(at + COLUMN_RUN, column.length))) await add(part);
        }
        parts.push(']');
      }
      parts.push('\n}');
    }
    parts.push('\n}\n');
    flush();
    write(Buffer.from(damaged ? '}\n' : `,"crc32":${crc}}\n`));
    // The fsyncs, the rename and the unlink run in libuv's thread pool, not on the event loop:
    // an fsync of a 70 MB document takes as long as the disk does, and a rename over the old
    // document frees the old one's pages inside the syscall (~30 ms at 100k orders in a start's
    // profile, docs/benchmarks.md, "A compaction's last syscalls"), stalls of every request.
    if (options.fsync) await new Promise<void>((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())));
    closeSync(fd);
    opened = false;
    if (options.stillValid && !(await options.stillValid())) {
      await unlink(temp);
      return false;
    }
    await rename(temp, file);
  } catch (err) {
    if (opened) closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      /* already gone, or the disk refuses even that: the next checkpoint truncates it */
    }
    throw err;
  }
  if (options.fsync) await fsyncDir(dirname(file));
  return true;
}

/** How many values of a summary column are stringified at once (see writeCheckpoint). */
const COLUMN_RUN = 4096;

/**
 * The values `from` to `to` of a new summary column, as parts of its text (a comma before each
 * but the column's first): a value kept here is stringified, a value copied from the source
 * column is its bytes there, a run of consecutive source rows as one slice of them.
 */
function columnRun(column: unknown[], copied: number[], elements: ColumnBytes | undefined, from: number, to: number): (string | Buffer)[] {
  const out: (string | Buffer)[] = [];
  let texts: string[] = [];
  /** The source rows `spanFrom` to `spanTo` (inclusive) not written yet; -1: none. */
  let spanFrom = -1;
  let spanTo = -1;
  const endSpan = () => {
    if (spanFrom < 0) return;
    out.push(elements!.bytes.subarray(elements!.starts[spanFrom], elements!.ends[spanTo]));
    spanFrom = -1;
  };
  for (let k = from; k < to; k++) {
    const comma = k === 0 ? '' : ',';
    const row = copied[k];
    if (row >= 0 && elements) {
      if (spanFrom >= 0 && row === spanTo + 1) {
        spanTo = row; // the slice takes the comma between the two values with them
        continue;
      }
      endSpan();
      if (texts.length > 0) out.push(texts.join(''));
      texts = [];
      if (comma) out.push(comma);
      spanFrom = spanTo = row;
    } else {
      endSpan();
      texts.push(comma, JSON.stringify(column[k]));
    }
  }
  endSpan();
  if (texts.length > 0) out.push(texts.join(''));
  return out;
}

/**
 * `read` of each field, one field per turn of the event loop: reading a summary column of 100k
 * orders — a scan for where its values are (Summary.elements) or, where that cannot be used, a
 * JSON.parse (Summary.columns) — is 1–7 ms, and reading them all at once made the longest stall
 * of a compaction.
 */
async function onePerTurn<T>(fields: readonly string[], read: (field: string, i: number) => T): Promise<T[]> {
  const out: T[] = [];
  for (const [i, field] of fields.entries()) {
    out.push(read(field, i));
    await nextTurn();
  }
  return out;
}

/** Makes a rename in the directory reach the disk (in the thread pool). */
async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The first line of a document in the layout writeCheckpoint writes. */
const HEADER = /^\{"version":1,"seq":(\d+),"collections":\{$/;

/** A file's lines, read 1 MiB at a time: the whole file is never in memory at once. */
class Lines {
  private buf = Buffer.alloc(0);
  private pos = 0;
  private eof = false;
  /** The bytes of the line `next()` gave: buf[start, end), without its newline. */
  buf0 = this.buf;
  start = 0;
  end = 0;

  constructor(private readonly fd: number) {}

  /** The next line, if there is one of at most `limit` bytes (a longer one ends the reading). */
  next(limit = Infinity): boolean {
    for (;;) {
      const nl = this.buf.indexOf(NEWLINE, this.pos);
      if (nl < 0 && this.buf.length - this.pos > limit) return false;
      if (nl >= 0 || (this.eof && this.pos < this.buf.length)) {
        this.buf0 = this.buf;
        this.start = this.pos;
        this.end = nl >= 0 ? nl : this.buf.length;
        this.pos = this.end + 1;
        return true;
      }
      if (this.eof) return false;
      const rest = this.buf.length - this.pos;
      // A line longer than a chunk doubles the buffer: copies stay linear in its length.
      const grown = Buffer.allocUnsafe(Math.max(rest + CHUNK, 2 * rest));
      this.buf.copy(grown, 0, this.pos);
      const n = readSync(this.fd, grown, rest, grown.length - rest, null);
      if (n === 0) this.eof = true;
      this.buf = grown.subarray(0, rest + n);
      this.pos = 0;
    }
  }
}

const CHUNK = 1 << 20;

/**
 * Reads a document in the layout writeCheckpoint writes — a header line, then per collection a
 * `"name":{` line, one `"key":value` line per record and a `}` line, then `}}` — one line at a
 * time, from the file's bytes read a chunk at a time: no string or buffer of the whole file and no
 * object with a key per record are made, to be thrown away after the load (at 100k orders a
 * whole-file JSON.parse left ~100 MB of such garbage behind, and the process's RSS with it).
 * Returns undefined for anything else (a version-1 document written in one JSON.stringify,
 * damage, a file that is not ours): the caller then parses the whole text as JSON, which also
 * says where it is wrong. Accepts exactly the documents JSON.parse reads the same way, commas
 * included.
 */
export function readCheckpoint(file: string): { seq: number; collections: Map<string, Map<string, unknown>> } | undefined {
  const fd = openSync(file, 'r');
  const young = new YoungGenerationCap();
  try {
    return readLines(new Lines(fd), young);
  } finally {
    young.release();
    closeSync(fd);
  }
}

function readLines(lines: Lines, young: YoungGenerationCap): { seq: number; collections: Map<string, Map<string, unknown>> } | undefined {
  // A version-1 document is one line: its first 80 bytes say it is not this layout.
  if (!lines.next(80)) return undefined;
  const header = HEADER.exec(lines.buf0.toString('latin1', lines.start, lines.end));
  if (!header) return undefined;
  const collections = new Map<string, Map<string, unknown>>();
  let records: Map<string, unknown> | undefined;
  /** The line before ended with a comma: another entry must follow, not a closing brace. */
  let more = false;
  /** Whether a collection was opened yet (the first follows the header, the others a `},`). */
  let any = false;
  while (lines.next()) {
    const { buf0: buf, start: pos, end } = lines;
    const comma = end > pos && buf[end - 1] === COMMA;
    const stop = comma ? end - 1 : end;
    const closing = stop - pos === 1 && buf[pos] === 0x7d; // "}"
    try {
      if (records) {
        if (closing) {
          if (more) return undefined;
          records = undefined;
        } else {
          // The first record follows `"name":{`, which has no comma; each later one a comma.
          if (records.size > 0 ? !more : more) return undefined;
          const keyed = lineKey(buf, pos, stop);
          if (!keyed) return undefined;
          records.set(keyed[0], JSON.parse(buf.toString('utf8', keyed[1], stop)));
          if ((records.size & 4095) === 0) young.check();
        }
      } else if (stop - pos === 2 && buf[pos] === 0x7d && buf[pos + 1] === 0x7d) {
        // "}}": the end; only white space may follow.
        if (comma || more) return undefined;
        while (lines.next()) if (lines.buf0.toString('latin1', lines.start, lines.end).trim() !== '') return undefined;
        return { seq: Number(header[1]), collections };
      } else {
        if (any !== more) return undefined;
        const line = buf.toString('utf8', pos, stop);
        if (!line.endsWith(':{')) return undefined;
        const name: unknown = JSON.parse(line.slice(0, -2));
        if (typeof name !== 'string') return undefined;
        records = new Map();
        collections.set(name, records);
        any = true;
      }
    } catch {
      return undefined;
    }
    more = comma;
  }
  return undefined;
}

const TRAILER = /^,"crc32":(\d+)\}$/;
const CLOSE = 0x7d; // "}"

/**
 * Reads a document in the layout writeCheckpoint writes now (with summaries and a crc32) without
 * parsing its records: the file is read into one Buffer, its crc32 checked (~10 ms for 40 MB),
 * and its lines walked with indexOf (memchr) for each record's key and offset; the records are
 * parsed by JSON.parse when first read (Records, Unparsed). A JSON tokenizer is not needed and
 * would be slower: the layout is the store's own, one record per line, and the crc32 proves the
 * bytes are as its writer wrote them. Returns undefined for anything else — an older layout, a
 * crc32 that does not match (damage, an edit, another writer), a file not ours — which is then
 * read as before (readCheckpoint, then JSON.parse of the whole text, which says where it is
 * wrong).
 */
export function readUnparsed(file: string): { seq: number; collections: Map<string, Records> } | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return undefined; // too large for one Buffer: read as before, a chunk at a time
  }
  const length = bytes.length;
  if (length < 2 || bytes[length - 1] !== NEWLINE) return undefined;
  const trailerAt = bytes.lastIndexOf(NEWLINE, length - 2) + 1;
  const trailer = TRAILER.exec(bytes.toString('latin1', trailerAt, length - 1));
  if (!trailer || crc32(bytes.subarray(0, trailerAt)) !== Number(trailer[1])) return undefined;
  const young = new YoungGenerationCap();
  try {
    return walkUnparsed(new Unparsed(file, bytes), trailerAt, young);
  } finally {
    young.release();
  }
}

/** The lines of a document whose crc32 matched (see readUnparsed), up to its trailer. */
function walkUnparsed(doc: Unparsed, trailerAt: number, young: YoungGenerationCap): { seq: number; collections: Map<string, Records> } | undefined {
  const bytes = doc.bytes;
  let pos = 0;
  /** The next line: [start, end without its comma, whether it had one]; undefined at the trailer. */
  const next = (): [number, number, boolean] | undefined => {
    if (pos >= trailerAt) return undefined;
    const start = pos;
    const nl = bytes.indexOf(NEWLINE, start);
    pos = nl + 1;
    const comma = bytes[nl - 1] === COMMA;
    return [start, comma ? nl - 1 : nl, comma];
  };
  const text = (s: number, e: number) => bytes.toString('utf8', s, e);
  /** A `"name":{` line's name, or undefined. */
  const opening = (s: number, e: number): string | undefined => {
    if (bytes[s] !== QUOTE || bytes[e - 1] !== 0x7b || bytes[e - 2] !== COLON) return undefined;
    try {
      const name: unknown = JSON.parse(text(s, e - 2));
      return typeof name === 'string' ? name : undefined;
    } catch {
      return undefined;
    }
  };
  const first = next();
  const header = first && HEADER.exec(text(first[0], first[1]));
  if (!header) return undefined;
  const collections = new Map<string, Records>();
  const rowsOf = new Map<string, number>();
  // The collections: `"name":{`, its record lines, `}`, until `},"summaries":{`.
  for (let line = next(); ; line = next()) {
    if (!line) return undefined;
    const [s, e] = line;
    if (text(s, e) === '},"summaries":{') break;
    const name = opening(s, e);
    if (name === undefined) return undefined;
    const lineAt: number[] = [];
    const records = new Records(undefined, { doc, lineAt }, name);
    collections.set(name, records);
    for (let rec = next(); ; rec = next()) {
      if (!rec) return undefined;
      const [rs, re] = rec;
      if (re - rs === 1 && bytes[rs] === CLOSE) break;
      let keyed: [string, number] | undefined;
      try {
        keyed = lineKey(bytes, rs, re);
      } catch {
        return undefined;
      }
      if (!keyed) return undefined;
      records.addUnparsed(keyed[0], lineAt.length);
      lineAt.push(rs);
      if ((lineAt.length & 4095) === 0) young.check();
    }
    rowsOf.set(name, lineAt.length);
  }
  // The summaries: `"name":{`, its `"field":[…]` lines, `}`, then `}`.
  for (let line = next(); ; line = next()) {
    if (!line) return undefined;
    const [s, e] = line;
    if (e - s === 1 && bytes[s] === CLOSE) break;
    const name = opening(s, e);
    const records = name === undefined ? undefined : collections.get(name);
    if (!records) return undefined;
    const columns = new Map<string, number>();
    for (let col = next(); ; col = next()) {
      if (!col) return undefined;
      const [cs, ce] = col;
      if (ce - cs === 1 && bytes[cs] === CLOSE) break;
      const colon = bytes.indexOf(COLON, cs);
      if (bytes[cs] !== QUOTE || colon < 0 || colon >= ce) return undefined;
      columns.set(text(cs + 1, colon - 1), cs);
    }
    records.summarise(new Summary(doc, columns, rowsOf.get(name!)!, name!));
  }
  return pos === trailerAt ? { seq: Number(header[1]), collections } : undefined;
}
