import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import { tagArrival, type Via } from '../http/arrival.js';

/** TLS alerts a client sends when it does not trust the certificate it was shown. */
const DISTRUST = /UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN|unknown ca|bad certificate|certificate unknown/i;

/** How long a client may take to finish its TLS handshake before the sandbox drops it. */
export const HANDSHAKE_TIMEOUT_MS = 10_000;

/** The line logged when a handshake fails: for a client that does not trust the CA, the fix. */
export function handshakeFailure(remote: string, err: Error & { code?: string }, caFile: string): string {
  if (DISTRUST.test(`${err.code ?? ''} ${err.message}`)) {
    return `the client at ${remote} does not trust the sandbox CA: set NODE_EXTRA_CA_CERTS / SSL_CERT_FILE / REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE (or curl --cacert) to ${caFile} — see \`payjs-sandbox env\``;
  }
  if (err.code === 'ECONNRESET') return closedInHandshake(remote, caFile);
  return `TLS handshake with ${remote} failed: ${err.code ?? err.message}`;
}

/** Node's TLS client checks the certificate once OpenSSL is done and then destroys the socket,
 * with no alert and before its Finished is sent: all the server sees is a handshake that ends. */
export function closedInHandshake(remote: string, caFile: string): string {
  return `the client at ${remote} hung up during the TLS handshake, after it was shown the sandbox's certificate: it does not trust the sandbox CA (Node clients hang up so, without an alert): set NODE_EXTRA_CA_CERTS=${caFile} — see \`payjs-sandbox env\``;
}

export const remoteOf = (socket: { remoteAddress?: string; remotePort?: number }) => `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;

/**
 * Terminates TLS on a client socket and hands the decrypted stream to the sandbox's own HTTP
 * server (`server.emit('connection')`), so that what is served is exactly what the main port
 * serves. A handshake that fails is logged once: the alert the client sent, its hang-up, or the
 * time it took (then it is dropped).
 */
export function serveTls(options: { socket: Socket; head?: Buffer; context: SecureContext; server: Server; via: Via; label: string; caFile: string; timeoutMs?: number; log: (line: string) => void }): void {
  const { socket, head = Buffer.alloc(0), caFile, label, log } = options;
  const remote = remoteOf(socket);
  if (head.length) socket.unshift(head);
  const opened = socket.bytesRead - head.length;
  const tls = new TLSSocket(socket, { isServer: true, secureContext: options.context, ALPNProtocols: ['http/1.1'] });
  let settled = false;
  const report = (line: string) => {
    if (!settled) log(`${label}: ${line}`);
    settled = true;
  };
  const timer = setTimeout(() => {
    report(`the client at ${remote} did not finish its TLS handshake in time; dropped`);
    tls.destroy();
  }, options.timeoutMs ?? HANDSHAKE_TIMEOUT_MS);
  timer.unref();
  tls.once('secure', () => {
    settled = true;
    clearTimeout(timer);
  });
  tls.on('error', (err) => {
    report(handshakeFailure(remote, err, caFile));
    tls.destroy();
  });
  socket.on('error', () => tls.destroy());
  // A hang-up once the client has sent its hello (not a connection opened and closed unused).
  tls.once('close', () => {
    clearTimeout(timer);
    if (socket.bytesRead > opened) report(closedInHandshake(remote, caFile));
  });
  tagArrival(tls, options.via);
  options.server.emit('connection', tls);
}
