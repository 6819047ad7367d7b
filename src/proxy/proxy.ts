import { createServer, request as httpRequest, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { connect, isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { CertificateAuthority } from '../tls/authority.js';
import { tagArrival } from '../http/arrival.js';
import { serveTls } from './handshake.js';

export interface ProxyOptions {
  /** The sandbox's own HTTP server: decrypted PAYJS connections are handed to it, so that the
   * proxy serves exactly what the main port serves. */
  server: Server;
  /** The sandbox app, for plain `http://payjs.cn/…` requests in absolute form. */
  handler: RequestListener;
  ca: CertificateAuthority;
  /** The hosts to intercept, lower-case. */
  hosts: string[];
  /** What to do with every other host: tunnel untouched, or refuse with 403. */
  others: 'tunnel' | 'refuse';
  /** Why other hosts are refused, for the 403 text. */
  refuseReason?: string;
  handshakeTimeoutMs?: number;
  log: (line: string) => void;
}

const STATUS: Record<number, string> = { 400: 'Bad Request', 403: 'Forbidden', 502: 'Bad Gateway' };

/** Answers a CONNECT (or a request) on the raw socket with a short text and closes it. */
function refuse(socket: Duplex, status: number, text: string): void {
  if (!socket.writable) return void socket.destroy();
  const body = `payjs-sandbox proxy: ${text}\n`;
  socket.end(`HTTP/1.1 ${status} ${STATUS[status]}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/** `host:port` of a CONNECT request target, or undefined when it is not one. */
export function connectTarget(target: string | undefined): { host: string; port: number } | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(target ?? '');
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  const host = m[1].replace(/^\[|\]$/g, '').toLowerCase();
  if (m[1].startsWith('[') && isIP(host) !== 6) return undefined;
  return { host, port };
}

/**
 * The interception proxy: an HTTP proxy (set it as HTTPS_PROXY) that terminates TLS for the PAYJS
 * hosts with a leaf from the sandbox CA and hands the decrypted connection to the sandbox's own
 * server; every other host is tunnelled byte for byte (never decrypted) or refused.
 */
export class InterceptionProxy {
  readonly server: Server;
  private readonly tunnels = new Set<Duplex>();
  private readonly sockets = new Set<Socket>();

  constructor(private readonly options: ProxyOptions) {
    this.server = createServer({ maxHeaderSize: 16 * 1024, headersTimeout: 10_000, requestTimeout: 30_000, keepAliveTimeout: 5_000 }, (req, res) => this.onRequest(req, res));
    this.server.on('connection', (socket: Socket) => {
      tagArrival(socket, 'proxy');
      // Every client socket, also those CONNECT took from the HTTP parser: close() ends them all.
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.server.on('connect', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onConnect(req, socket, head));
    this.server.on('clientError', (_err, socket: Duplex) => refuse(socket, 400, 'a malformed request; send CONNECT payjs.cn:443 HTTP/1.1 or an absolute-form http:// request'));
  }

  private intercepts(host: string): boolean {
    return this.options.hosts.includes(host);
  }

  private onConnect(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy()); // a client gone mid-answer is nothing to report
    const target = connectTarget(req.url);
    if (!target) return refuse(socket, 400, `CONNECT needs a host:port target, like CONNECT payjs.cn:443; got "${String(req.url).slice(0, 80)}"`);
    if (this.intercepts(target.host)) {
      if (target.port === 443) return this.terminate(socket as Socket, target.host, head);
      if (target.port === 80) return this.servePlain(socket as Socket, head);
      return refuse(socket, 403, `${target.host} is intercepted on port 443 (https) and 80 (http) only, not ${target.port}: PAYJS answers at https://${target.host}/`);
    }
    if (this.options.others === 'refuse') return refuse(socket, 403, `${target.host}:${target.port} is not a PAYJS host; ${this.options.refuseReason}`);
    this.tunnel(socket, target, head);
  }

  /** TLS with a leaf for `host`; the decrypted stream goes to the sandbox's server. */
  private terminate(socket: Socket, host: string, head: Buffer): void {
    const { ca, server, log, handshakeTimeoutMs } = this.options;
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    serveTls({ socket, head, context: ca.context([host]), server, via: 'proxy', label: `proxy (${host})`, caFile: ca.certFile, timeoutMs: handshakeTimeoutMs, log });
  }

  /** CONNECT payjs.cn:80: plain HTTP inside the tunnel, served by the sandbox's server. */
  private servePlain(socket: Socket, head: Buffer): void {
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length) socket.unshift(head);
    this.options.server.emit('connection', socket);
  }

  private tunnel(socket: Duplex, target: { host: string; port: number }, head: Buffer): void {
    const upstream = connect(target.port, target.host);
    this.tunnels.add(socket).add(upstream);
    const forget = () => {
      this.tunnels.delete(socket);
      this.tunnels.delete(upstream);
      socket.destroy();
      upstream.destroy();
    };
    upstream.once('connect', () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', (err: Error & { code?: string }) => {
      if (socket.writable && !upstream.readable) refuse(socket, 502, `could not reach ${target.host}:${target.port}: ${err.code ?? err.message}`);
      forget();
    });
    socket.once('close', forget);
    upstream.once('close', forget);
  }

  /** Absolute-form requests (`GET http://payjs.cn/api/… HTTP/1.1`): PAYJS hosts are served by the
   * app, others forwarded (or refused). */
  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    let url: URL;
    try {
      url = new URL(req.url ?? '');
      if (url.protocol !== 'http:') throw new Error('not http');
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('payjs-sandbox proxy: this port is a proxy (set HTTPS_PROXY / HTTP_PROXY to it); send CONNECT payjs.cn:443 or an absolute-form http://payjs.cn/… request. The sandbox itself answers on its main port.\n');
      return;
    }
    const host = url.hostname.toLowerCase();
    if (this.intercepts(host)) {
      req.url = `${url.pathname}${url.search}`;
      return void this.options.handler(req, res);
    }
    if (this.options.others === 'refuse') {
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`payjs-sandbox proxy: ${host} is not a PAYJS host; ${this.options.refuseReason}\n`);
      return;
    }
    const upstream = httpRequest({ host: url.hostname, port: url.port || 80, method: req.method, path: `${url.pathname}${url.search}`, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
      answer.pipe(res);
    });
    upstream.on('error', (err: Error & { code?: string }) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`payjs-sandbox proxy: could not reach ${url.host}: ${err.code ?? err.message}\n`);
    });
    req.pipe(upstream);
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as { port: number }).port);
      });
    });
  }

  close(): Promise<void> {
    for (const s of [...this.tunnels, ...this.sockets]) s.destroy();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
