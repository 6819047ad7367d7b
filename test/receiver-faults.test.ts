/** A merchant's notify receiver that fails in every way the network allows: down, 500, silent
 * past 3 s, reset, a body that trickles, a redirect, a 50 MB answer. Whatever it does, the ladder
 * is walked exactly (0, 15, 30, 180, 1800, 3600 s on the sandbox clock, six attempts, none lost or
 * doubled), nothing rejects unhandled, and the API keeps answering. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import net, { type AddressInfo, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SandboxClock, startSandbox, type Sandbox } from '../src/index.js';
import { CertificateAuthority } from '../src/tls/authority.js';
import { MCHID, call, nativeOrder, tempDb } from './support.js';

const LADDER = [0, 15, 30, 180, 1800, 3600];
const START = Date.UTC(2024, 0, 1, 4);

const rejections: unknown[] = [];
const onRejection = (reason: unknown) => rejections.push(reason);
beforeAll(() => void process.on('unhandledRejection', onRejection));
afterAll(() => void process.off('unhandledRejection', onRejection));

/** A receiver on port 0 that answers each request as `answer` says (n counts from 1). */
interface Faulty {
  url: string;
  requests: number;
  /** Bytes of answer body written (the huge answer stops when the sandbox stops reading). */
  written: number;
  close(): Promise<void>;
}

async function receiver(answer: (n: number, req: IncomingMessage, res: ServerResponse, r: Faulty) => void): Promise<Faulty> {
  const sockets = new Set<Socket>();
  const r: Faulty = { url: '', requests: 0, written: 0, close: async () => {} };
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => answer(++r.requests, req, res, r));
  });
  server.on('connection', (s) => (sockets.add(s), s.on('close', () => sockets.delete(s))));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/payjs/notify`;
  r.close = () => new Promise((resolve) => {
    for (const s of sockets) s.destroy();
    server.close(() => resolve());
  });
  return r;
}

const fail500 = (_n: number, _req: IncomingMessage, res: ServerResponse) => {
  res.statusCode = 500;
  res.end('fail');
};

let sandbox: Sandbox | undefined;
const servers: Faulty[] = [];
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** The merchant's time to answer, short so that a test of a slow receiver waits little. */
const NOTIFY_TIMEOUT_MS = 300;

async function start(): Promise<Sandbox> {
  sandbox = await startSandbox({ clock: new SandboxClock({ start: START, frozen: true }), db: tempDb(), notifyTimeoutMs: NOTIFY_TIMEOUT_MS });
  return sandbox;
}

/** Pays an order whose notify_url is `url` and walks the ladder one second at a time around each
 * rung: no attempt comes a second early, exactly one comes on the rung, none after the last. */
async function walkLadder(s: Sandbox, url: string, whileFirstAttempt?: () => Promise<void>): Promise<string> {
  const id = await nativeOrder(s.url, { notify_url: url });
  await s.pay(id);
  if (whileFirstAttempt) await whileFirstAttempt();
  await s.clock.settle();
  expect(s.notifications(id)).toHaveLength(1);
  let elapsed = 0;
  for (const [i, at] of LADDER.entries()) {
    if (i === 0) continue;
    await s.clock.advance(at - elapsed - 1);
    expect(s.notifications(id), `nothing before ${at} s`).toHaveLength(i);
    await s.clock.advance(1);
    expect(s.notifications(id), `attempt ${i + 1} at ${at} s`).toHaveLength(i + 1);
    elapsed = at;
  }
  await s.clock.advance(100_000);
  const attempts = s.notifications(id);
  expect(attempts).toHaveLength(6);
  expect(attempts.map((a) => (a.at - attempts[0].at) / 1000)).toEqual(LADDER);
  expect(attempts.map((a) => [a.attempt, a.kind, a.step, a.delivered])).toEqual(LADDER.map((_, i) => [i + 1, 'ladder', i, false]));
  expect(attempts[0].at).toBe(START);
  const { notify: job } = (await (await fetch(`${s.url}/__sandbox/orders/${id}/notifications`)).json()) as { notify: { state: string } };
  expect(job.state).toBe('exhausted');
  expect(rejections).toEqual([]);
  return id;
}

describe('a notify receiver that fails', () => {
  it('down (port closed): six refused attempts on the ladder', async () => {
    const probe = await receiver(fail500);
    const url = probe.url;
    await probe.close(); // the port is free again: nothing listens there
    const s = await start();
    const id = await walkLadder(s, url);
    expect(s.notifications(id).every((a) => a.error === 'refused' && a.status === undefined)).toBe(true);
  });

  it('answers 500: six attempts, each recorded with its status and answer', async () => {
    const r = await receiver(fail500);
    servers.push(r);
    const s = await start();
    const id = await walkLadder(s, r.url);
    expect(r.requests).toBe(6);
    expect(s.notifications(id).every((a) => a.status === 500 && a.error === 'status' && a.response === 'fail')).toBe(true);
  });

  it('hangs past the notify timeout once: a timeout, the API answers meanwhile, the ladder goes on', async () => {
    const r = await receiver((n, _req, res) => {
      if (n > 1) fail500(n, _req, res); // the first request is never answered
    });
    servers.push(r);
    const s = await start();
    const other = await nativeOrder(s.url);
    const id = await walkLadder(s, r.url, async () => {
      // A different order: a successful check of the notified one would stop its ladder (§14).
      const check = await call(s.url, 'check', { payjs_order_id: other, mchid: MCHID });
      expect(check.body.return_code).toBe(1);
      expect(s.notifications()).toHaveLength(0); // answered while the hanging attempt is still in flight
    });
    const [first, ...rest] = s.notifications(id);
    expect(first).toMatchObject({ error: 'timeout', delivered: false, detail: `no answer within ${NOTIFY_TIMEOUT_MS / 1000} s` });
    expect(first.ms).toBeGreaterThanOrEqual(NOTIFY_TIMEOUT_MS - 10);
    expect(rest.every((a) => a.status === 500)).toBe(true);
    expect(r.requests).toBe(6);
  });

  it('is slow to set up its TLS connection, then slow to answer: each under the notify timeout, together over it, a timeout', async () => {
    // An https merchant (a certificate of a throwaway CA, trusted for this test only) behind a
    // relay that holds each connection for 0.6 of the merchant's time, so the TLS handshake takes
    // that long; its first answer is a 200 another 0.6 later: too late.
    const ca = CertificateAuthority.temporary();
    let requests = 0;
    const merchant = createHttpsServer(ca.leaf(['127.0.0.1']), (req, res) => {
      req.resume();
      if (++requests > 1) return fail500(requests, req, res);
      setTimeout(() => res.end('success'), NOTIFY_TIMEOUT_MS * 0.6);
    });
    await new Promise<void>((resolve) => merchant.listen(0, '127.0.0.1', resolve));
    const relay = net.createServer((client) => {
      client.pause();
      const hold = setTimeout(() => {
        const up = net.connect((merchant.address() as AddressInfo).port, '127.0.0.1');
        client.pipe(up).pipe(client);
        up.on('error', () => client.destroy());
        client.resume();
      }, NOTIFY_TIMEOUT_MS * 0.6);
      client.on('error', () => clearTimeout(hold));
      client.on('close', () => clearTimeout(hold));
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const trusted = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    try {
      const s = await start();
      const id = await walkLadder(s, `https://127.0.0.1:${(relay.address() as AddressInfo).port}/payjs/notify`);
      const [first, ...rest] = s.notifications(id);
      expect(first).toMatchObject({ error: 'timeout', delivered: false });
      expect(first.ms).toBeGreaterThanOrEqual(NOTIFY_TIMEOUT_MS - 10);
      expect(rest.every((a) => a.status === 500)).toBe(true);
      expect(requests).toBe(6);
    } finally {
      if (trusted === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = trusted;
      await sandbox?.close();
      sandbox = undefined;
      merchant.closeAllConnections();
      await Promise.all([new Promise((resolve) => relay.close(resolve)), new Promise((resolve) => merchant.close(resolve))]);
      ca.dispose();
    }
  });

  it('resets the connection: six attempts recorded as reset', async () => {
    const r = await receiver((_n, req) => req.socket.destroy());
    servers.push(r);
    const s = await start();
    const id = await walkLadder(s, r.url);
    expect(r.requests).toBe(6);
    expect(s.notifications(id).every((a) => a.error === 'reset')).toBe(true);
  });

  it('sends 200 then a body that trickles past the notify timeout: not delivered (timeout), the ladder goes on', async () => {
    const r = await receiver((n, req, res) => {
      if (n > 1) return fail500(n, req, res);
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('s');
      const drip = setInterval(() => res.write('u'), NOTIFY_TIMEOUT_MS / 10);
      res.on('close', () => clearInterval(drip));
      setTimeout(() => (clearInterval(drip), res.end('ccess')), NOTIFY_TIMEOUT_MS * 5).unref();
    });
    servers.push(r);
    const s = await start();
    const id = await walkLadder(s, r.url);
    const [first] = s.notifications(id);
    expect(first).toMatchObject({ error: 'timeout', delivered: false });
    expect(first.ms).toBeGreaterThanOrEqual(NOTIFY_TIMEOUT_MS - 10);
    expect(r.requests).toBe(6);
  });

  it('redirects (302) to another URL: counted as failed, never followed', async () => {
    const target = await receiver((_n, _req, res) => res.end('success'));
    const r = await receiver((_n, _req, res) => {
      res.writeHead(302, { location: target.url });
      res.end();
    });
    servers.push(r, target);
    const s = await start();
    const id = await walkLadder(s, r.url);
    expect(r.requests).toBe(6);
    expect(target.requests).toBe(0);
    expect(s.notifications(id).every((a) => a.status === 302 && a.error === 'status')).toBe(true);
  });

  it('answers with 50 MB: the record keeps 2 KB, the sandbox stops reading, memory stays flat', async () => {
    const TOTAL = 50 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const r = await receiver((_n, _req, res, self) => {
      res.writeHead(500, { 'content-type': 'text/plain', 'content-length': String(TOTAL) });
      let sent = 0;
      const pump = () => {
        while (sent < TOTAL) {
          sent += chunk.length;
          self.written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => (sent = TOTAL));
      pump();
    });
    servers.push(r);
    const s = await start();
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    const id = await walkLadder(s, r.url);
    const attempts = s.notifications(id);
    expect(attempts.every((a) => a.status === 500 && a.response?.length === 2048)).toBe(true);
    // Six answers of 50 MB were offered; the sandbox read the first 2 KB of each and hung up.
    expect(r.written).toBeLessThan(6 * TOTAL / 4);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(150 * 1024 * 1024);
  }, 30_000);
});
