import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { DatabaseRefused, shownName } from './refusal.js';

/** What a lock file holds: enough to tell the user who has the database. */
interface Holder {
  app: 'payjs-sandbox';
  pid: number;
  url?: string;
  started_at: string;
}

/** The locks this process holds, by lock file: a lock file naming our own pid that is not in
 * here was left by an earlier process that had the same pid (pids are reused, in containers
 * often at once). */
const held = new Set<string>();
process.once('exit', () => {
  for (const file of held) {
    try {
      unlinkSync(file);
    } catch {
      /* already gone */
    }
  }
});

/** An exclusive hold on one database for the life of the process. */
export interface DatabaseLock {
  readonly file: string;
  /** Records the URL the sandbox listens on, for the message another process prints. */
  listening(url: string): void;
  release(): void;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, but another user's
  }
};

function readHolder(file: string): Holder | undefined {
  try {
    const h = JSON.parse(readFileSync(file, 'utf8')) as Holder;
    return typeof h?.pid === 'number' ? h : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes `<db>.lock` beside the database before anything of it is read: the lock is written
 * whole to a temporary name and hard-linked into place, which fails if the name exists
 * (atomic like O_EXCL, and never seen half-written). A lock whose process is dead is taken over
 * and `warn` says so. A live holder makes this throw `DatabaseRefused` naming its pid and URL.
 */
export function lockDatabase(db: string, warn: (message: string) => void): DatabaseLock {
  const file = `${db}.lock`;
  const me: Holder = { app: 'payjs-sandbox', pid: process.pid, started_at: new Date().toISOString() };
  const write = (target: string) => writeFileSync(target, `${JSON.stringify(me)}\n`, { mode: 0o644 });
  const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  write(temp);
  try {
    for (let tries = 0; ; tries++) {
      try {
        linkSync(temp, file);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || tries >= 5) throw err;
      }
      const holder = readHolder(file);
      const ours = holder?.pid === process.pid && held.has(file);
      if (holder && (ours || (holder.pid !== process.pid && alive(holder.pid)))) {
        throw new DatabaseRefused(`${shownName(db)} is in use by payjs-sandbox (pid ${holder.pid}, ${holder.url ?? 'starting'}); stop it, or use --db OTHER or --memory`);
      }
      // Dead holder (or an unreadable lock: writes are whole, so not a live one): take it over.
      // Renaming it away first means two processes taking over at once cannot both win: only
      // one rename finds the file, the other retries the link and meets the winner's lock.
      const stale = `${file}.stale-${process.pid}`;
      try {
        renameSync(file, stale);
      } catch {
        continue;
      }
      const moved = readHolder(stale);
      if (moved && moved.pid !== holder?.pid && alive(moved.pid)) {
        // Another process took the stale lock over between our read and our rename: give it back.
        try {
          linkSync(stale, file);
        } catch {
          /* a third one holds it now */
        }
        unlinkSync(stale);
        continue;
      }
      unlinkSync(stale);
      warn(`payjs-sandbox: took over the lock of ${shownName(db)} from pid ${holder?.pid ?? '?'}${holder?.started_at ? ` (started ${holder.started_at})` : ''}, which is no longer running`);
    }
  } finally {
    unlinkSync(temp);
  }
  held.add(file);
  return {
    file,
    listening(url) {
      me.url = url;
      const next = `${file}.${process.pid}.next`;
      write(next);
      renameSync(next, file); // replaces our own lock in one step
    },
    release() {
      if (!held.delete(file)) return;
      if (readHolder(file)?.pid === process.pid) unlinkSync(file);
    },
  };
}
