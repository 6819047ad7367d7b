import { closeSync, fsyncSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { YoungGenerationCap } from './young-generation.js';

/** One collection as the checkpoint walks it: its name and its live records. */
export type CollectionEntries = readonly [name: string, records: ReadonlyMap<string, unknown>];

export interface CheckpointOptions {
  /** fsync the document before it replaces the old one, and the directory after. */
  fsync?: boolean;
  /** About how many bytes are serialised between two turns of the event loop (default 128 KiB). */
  sliceBytes?: number;
  /** Asked once everything is written, just before the rename: false leaves the old document
   * in place (a journal write failed meanwhile, and a value it took back may be in the file). */
  stillValid?: () => Promise<boolean>;
}

/** The temporary file beside the document: lowdb's writer (steno) uses the same name, so it is
 * the sandbox's own file already. */
export const tempFileOf = (file: string): string => join(dirname(file), `.${basename(file)}.tmp`);

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Writes the lowdb document `{"version":1,"seq":…,"collections":{…}}` in slices of records, one
 * slice per turn of the event loop, to the temporary file, then renames it over the document
 * (atomic: a reader or a crash sees the old document or the new one, never a mix). Requests are
 * served between slices, so a rewrite at 100k orders is no longer one synchronous stall.
 *
 * This is a fuzzy checkpoint: records change while it runs, so each is written as it is when its
 * slice is reached, which may be newer than `seq`. That is exact after replay because every
 * journal line above `seq` is a whole value put, a delete or a clear, replayed in order: a record
 * changed after `seq` is overwritten by its journal lines whatever the document holds, and one
 * not changed since is the same in both. A record deleted and put again while the walk runs can
 * appear twice in its collection; JSON.parse keeps the last, the newer.
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
  let open = true;
  const write = (text: string) => {
    const buf = Buffer.from(text, 'utf8');
    for (let offset = 0; offset < buf.length; ) offset += writeSync(fd, buf, offset, buf.length - offset);
  };
  try {
    let parts: string[] = [`{"version":1,"seq":${seq},"collections":{`];
    let size = 0;
    let firstCollection = true;
    for (const [name, records] of collections) {
      parts.push(`${firstCollection ? '' : ','}\n${JSON.stringify(name)}:{`);
      firstCollection = false;
      let first = true;
      for (const [key, value] of records) {
        // One record per line (see readCheckpoint): still one JSON document.
        const line = `${first ? '' : ','}\n${JSON.stringify(key)}:${JSON.stringify(value)}`;
        first = false;
        parts.push(line);
        size += line.length;
        if (size >= sliceBytes) {
          write(parts.join(''));
          parts = [];
          size = 0;
          await nextTurn();
        }
      }
      parts.push('\n}');
    }
    parts.push('\n}}\n');
    write(parts.join(''));
    if (options.fsync) fsyncSync(fd);
    closeSync(fd);
    open = false;
    if (options.stillValid && !(await options.stillValid())) {
      unlinkSync(temp);
      return false;
    }
    renameSync(temp, file);
  } catch (err) {
    if (open) closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      /* already gone, or the disk refuses even that: the next checkpoint truncates it */
    }
    throw err;
  }
  if (options.fsync) fsyncDir(dirname(file));
  return true;
}

/** Makes a rename in the directory reach the disk. */
function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The first line of a document in the layout writeCheckpoint writes. */
const HEADER = /^\{"version":1,"seq":(\d+),"collections":\{$/;
const COMMA = 0x2c;
const NEWLINE = 0x0a;
const BACKSLASH = 0x5c;
const QUOTE = 0x22;
const COLON = 0x3a;

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
          if (buf[pos] !== QUOTE) return undefined;
          // The key's closing quote: a key with an escape is read by JSON.parse, the others as
          // they are.
          let quote = pos + 1;
          let escaped = false;
          for (; quote < stop && buf[quote] !== QUOTE; quote++) {
            if (buf[quote] === BACKSLASH) {
              escaped = true;
              quote++;
            }
          }
          if (buf[quote + 1] !== COLON || quote + 2 >= stop) return undefined;
          const key = escaped ? (JSON.parse(buf.toString('utf8', pos, quote + 1)) as string) : buf.toString('utf8', pos + 1, quote);
          records.set(key, JSON.parse(buf.toString('utf8', quote + 2, stop)));
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
