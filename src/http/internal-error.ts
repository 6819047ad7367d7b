import type { ServerResponse } from 'node:http';

/** What the sandbox answers a failure of its own with (a bug, not a refusal): koa's error
 * boundary (errors.ts) and the listeners outside koa (lean-api.ts, lazy-app.ts) alike. */
export const INTERNAL_ERROR = { error: 'INTERNAL', message: 'the sandbox failed; this is a bug of the sandbox, please report it with the request' } as const;

const INTERNAL_TEXT = JSON.stringify(INTERNAL_ERROR);

/** Logs a failure of a request served outside koa and answers it 500 (if nothing was sent yet). */
export function answerInternal(res: ServerResponse, log: (line: string) => void, method: string | undefined, path: string | undefined, err: unknown): void {
  log(`payjs-sandbox: internal error on ${method} ${path}: ${(err as Error)?.stack ?? String(err)}`);
  if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(INTERNAL_TEXT) });
  res.end(INTERNAL_TEXT);
}
