import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

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
        // One record per line: still one JSON document, and a diff of two readable.
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
      parts.push('}');
    }
    parts.push('}}\n');
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
