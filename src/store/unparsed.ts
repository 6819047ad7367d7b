import { shownName } from './refusal.js';

/** The bytes of the document's JSON its readers look for. */
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const NEWLINE = 0x0a;
export const COMMA = 0x2c;
export const COLON = 0x3a;

/**
 * The key of a record line `"key":value` in `buf[start, stop)` and where its value starts, or
 * undefined if the line is not so. A key with an escape is read by JSON.parse (which throws if it
 * is not a JSON string), the others as they are.
 */
export function lineKey(buf: Buffer, start: number, stop: number): [key: string, valueAt: number] | undefined {
  if (buf[start] !== QUOTE) return undefined;
  let quote = start + 1;
  let escaped = false;
  for (; quote < stop && buf[quote] !== QUOTE; quote++) {
    if (buf[quote] === BACKSLASH) {
      escaped = true;
      quote++;
    }
  }
  if (buf[quote + 1] !== COLON || quote + 2 >= stop) return undefined;
  const key = escaped ? (JSON.parse(buf.toString('utf8', start, quote + 1)) as string) : buf.toString('utf8', start + 1, quote);
  return [key, quote + 2];
}

/** A record that could not be parsed when it was first read, after the store had opened. */
export class RecordDamaged extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordDamaged';
  }
}

/**
 * The bytes of a document read at open (one Buffer, outside V8's heap), for the records and
 * summary columns not parsed yet: each is one line of the layout writeCheckpoint writes, found
 * by its offset, and parsed by JSON.parse when it is first read. The document's crc32 matched
 * at open (see readUnparsed), so these are the bytes the store's own writer wrote, every value
 * one JSON.stringify output on its own line (JSON.stringify escapes every newline in a value).
 *
 * A record that fails to parse anyway (the file was changed and its crc32 made to match, or a bug)
 * is a clear error, never a loss: `value` throws RecordDamaged naming the file, the line and the
 * key; the record stays as it is, rewrites copy its bytes unchanged and leave the crc32 out
 * (`damaged`), so the next start reads the document with JSON.parse and refuses it, with where it
 * is wrong, until it is repaired (`--repair`) or restored.
 */
export class Unparsed {
  /** A record of it could not be parsed: rewrites leave the crc32 out. */
  damaged = false;

  constructor(readonly file: string, readonly bytes: Buffer) {}

  /** The end of the line starting at `at`, without its newline and its trailing comma. */
  lineEnd(at: number): number {
    let end = this.bytes.indexOf(NEWLINE, at);
    if (end < 0) end = this.bytes.length;
    return this.bytes[end - 1] === COMMA ? end - 1 : end;
  }

  /** The bytes of the record line `"key":value` starting at `at`, for a rewrite. */
  line(at: number): Buffer {
    return this.bytes.subarray(at, this.lineEnd(at));
  }

  /** The value of the line `"key":value` (or `"field":[…]`) starting at `at`. */
  value(at: number, what: string): unknown {
    const end = this.lineEnd(at);
    try {
      // Read at open, so a key of this layout: only the value can fail.
      return JSON.parse(this.bytes.toString('utf8', lineKey(this.bytes, at, end)![1], end));
    } catch (err) {
      this.damaged = true;
      const line = countLines(this.bytes, at);
      throw new RecordDamaged(`${what} in ${shownName(this.file)} (line ${line}) cannot be read: ${(err as Error).message}; it is kept as it is, and the next start refuses the file until it is repaired (--repair) or restored`);
    }
  }
}

function countLines(bytes: Buffer, upTo: number): number {
  let n = 1;
  for (let i = bytes.indexOf(NEWLINE); i >= 0 && i < upTo; i = bytes.indexOf(NEWLINE, i + 1)) n++;
  return n;
}
