import { isAbsolute, relative } from 'node:path';

/**
 * The sandbox will not open this database: it is held by another process, is a directory, is
 * not a sandbox file, or is damaged. The message says what to do; the CLI exits 2 with it.
 */
export class DatabaseRefused extends Error {
  override readonly name = 'DatabaseRefused';
}

/** A database path as the user most likely typed it: relative to the working directory when
 * it is inside it. */
export function shownName(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}
