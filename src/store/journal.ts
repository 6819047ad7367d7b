import { closeSync, copyFileSync, existsSync, fsyncSync, ftruncateSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { unlink } from 'node:fs/promises';

/** A value put (or deleted, `v` absent) under a key of a collection. */
export interface Change {
  c: string;
  k: string;
  v?: unknown;
}

/** One journal line: a change, a clear of a whole collection, or a batch of changes that the line
 * makes together (a torn last line loses all of them, never some). */
export type JournalEntry = (Change & { s: number; clear?: true; b?: undefined }) | { s: number; b: Change[] };

const isChange = (e: Change) => typeof e === 'object' && e !== null && typeof e.c === 'string' && typeof e.k === 'string';

/** What reading a journal found. */
export interface ReplayReport {
  entries: JournalEntry[];
  /** Lines that could not be read, other than a half-written last line. */
  skipped: number;
  /** Whether the file held anything at all (a torn last line included). */
  written: boolean;
  /** The 1-based line number of the first unreadable line other than the last, if any. */
  firstBadLine?: number;
}

/** Reads a journal file; a half-written last line is tolerated, other bad lines are counted. */
export function readJournal(file: string): ReplayReport {
  const report: ReplayReport = { entries: [], skipped: 0, written: false };
  if (!existsSync(file)) return report;
  const text = readFileSync(file, 'utf8');
  report.written = text.length > 0;
  const lines = text.split('\n');
  const last = lines.length - 1;
  lines.forEach((line, i) => {
    if (line === '') return;
    try {
      const e = JSON.parse(line) as JournalEntry;
      if (typeof e.s !== 'number' || !(e.b === undefined ? isChange(e) : Array.isArray(e.b) && e.b.every(isChange))) throw new Error('not an entry');
      report.entries.push(e);
    } catch {
      // A half-written last line is where the process died while writing it: not damage.
      if (i !== last) {
        report.firstBadLine ??= i + 1;
        report.skipped++;
      }
    }
  });
  return report;
}

/** Keeps a copy of a damaged file beside it and returns the copy's name. */
export function keepAside(file: string, why: string): string {
  const aside = `${file}.${why}-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  copyFileSync(file, aside);
  return aside;
}

/**
 * An append-only journal with group commit: the lines appended while the event loop handles one
 * round of I/O go out together in one write, at the end of that round (setImmediate), and each
 * `append` resolves once its line is in the file (so in the kernel: it survives kill -9 of the
 * process). The write is synchronous: a page-cache write of a batch takes microseconds, less than
 * a round trip through libuv's thread pool. `rotate()` swaps in an empty file between writes.
 */
export class Journal {
  readonly file: string;
  readonly oldFile: string;
  private fd: number;
  private queue: string[] = [];
  /** The promise of the batch being gathered, shared by every line in it: one per group commit. */
  private batch: { done: Promise<void>; resolve: () => void; reject: (e: Error) => void } | null = null;
  /** One per queued line, in order (undefined for a line with nothing to take back). */
  private undos: ((() => void) | undefined)[] = [];
  private scheduled = false;
  private idle: (() => void)[] = [];
  private pendingRotation: (() => void) | null = null;
  bytes: number;
  /** How many group commits have failed so far (a rewrite in progress checks it, see store.ts). */
  failures = 0;

  /** With `fsync`, each group commit reaches the disk (fsync) before its appends resolve. */
  constructor(file: string, private readonly fsync = false) {
    this.file = file;
    this.oldFile = `${file}.old`;
    this.fd = openSync(file, 'a');
    this.bytes = statSync(file).size;
  }

  /** Queues a line; `undo` runs, newest first and before any rejection is seen, if the write of
   * its batch fails, so that memory never keeps a change the file does not have. The promise is
   * the batch's: every line of one group commit gets the same one. */
  append(entry: JournalEntry, undo?: () => void): Promise<void> {
    this.queue.push(`${JSON.stringify(entry)}\n`);
    this.undos.push(undo);
    if (!this.batch) {
      let resolve!: () => void;
      let reject!: (e: Error) => void;
      const done = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.batch = { done, resolve, reject };
      this.schedule();
    }
    return this.batch.done;
  }

  /** Moves the current file to `<file>.old` and starts an empty one, between two writes; `atSwap`
   * runs at that instant (to snapshot the state the old file leads to). */
  rotate(atSwap: () => void): Promise<void> {
    return new Promise((resolve) => {
      this.pendingRotation = () => {
        closeSync(this.fd);
        renameSync(this.file, this.oldFile);
        this.fd = openSync(this.file, 'a');
        this.bytes = 0;
        atSwap();
        resolve();
      };
      this.schedule();
    });
  }

  /** Removes `<file>.old` once what it held is safe elsewhere, in the thread pool: unlinking a
   * journal of up to 64 MiB frees its pages inside the syscall. */
  async dropOld(): Promise<void> {
    await unlink(this.oldFile).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  /** Resolves when every appended line is written. */
  settled(): Promise<void> {
    if (!this.scheduled) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  close(): void {
    closeSync(this.fd);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    if (this.queue.length > 0) {
      const buf = Buffer.from(this.queue.join(''), 'utf8');
      const batch = this.batch!;
      const undos = this.undos;
      this.queue = [];
      this.undos = [];
      this.batch = null;
      try {
        for (let offset = 0; offset < buf.length; ) offset += writeSync(this.fd, buf, offset, buf.length - offset);
        if (this.fsync) fsyncSync(this.fd);
        this.bytes += buf.length;
        batch.resolve();
      } catch (err) {
        // A full disk can take part of a batch: cut it off, or the next line would be glued to it.
        try {
          ftruncateSync(this.fd, this.bytes);
        } catch {
          /* the next open tolerates a torn last line */
        }
        this.failures++;
        for (let i = undos.length - 1; i >= 0; i--) undos[i]?.();
        batch.reject(err as Error);
      }
    }
    // A rotation waits for the lines appended before it, which the old file must hold.
    if (this.pendingRotation) {
      const rotateNow = this.pendingRotation;
      this.pendingRotation = null;
      rotateNow();
    }
    if (this.queue.length > 0) return this.schedule();
    for (const done of this.idle.splice(0)) done();
  }
}
