/** A real notify receiver on port 0: records every request and answers as the test says. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  path: string;
  contentType: string;
  body: string;
  fields: Record<string, string>;
}

/** How the receiver answers one request: a status (and body), a delay, or a cut connection. */
export type Reply = { status?: number; body?: string; delayMs?: number; destroy?: boolean };

export interface Receiver {
  url: string;
  received: Received[];
  /** Sets how the next requests are answered (default: 200 "success"). */
  reply: (r: Reply | ((req: Received, n: number) => Reply)) => void;
  close: () => Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  let replier: (req: Received, n: number) => Reply = () => ({ status: 200, body: 'success' });
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const r: Received = { method: req.method ?? '', path: req.url ?? '', contentType: req.headers['content-type'] ?? '', body, fields: Object.fromEntries(new URLSearchParams(body)) };
      received.push(r);
      const reply = replier(r, received.length);
      const answer = () => {
        if (reply.destroy) return req.socket.destroy();
        res.statusCode = reply.status ?? 200;
        res.end(reply.body ?? 'success');
      };
      if (reply.delayMs) setTimeout(answer, reply.delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/payjs/notify`,
    received,
    reply: (r) => {
      replier = typeof r === 'function' ? r : () => r;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
