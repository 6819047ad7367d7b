import type { TLSSocket } from 'node:tls';

/** TLS alerts a client sends when it does not trust the certificate it was shown. */
const DISTRUST = /UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN|unknown ca|bad certificate|certificate unknown/i;

/** How long a client may take to finish its TLS handshake before the sandbox drops it. */
export const HANDSHAKE_TIMEOUT_MS = 10_000;

/** The line logged when a handshake fails: for a client that does not trust the CA, the fix. */
export function handshakeFailure(remote: string, err: Error & { code?: string }, caFile: string): string {
  if (DISTRUST.test(`${err.code ?? ''} ${err.message}`)) {
    return `the client at ${remote} does not trust the sandbox CA: set NODE_EXTRA_CA_CERTS / SSL_CERT_FILE / REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE (or curl --cacert) to ${caFile} — see \`payjs-sandbox env\``;
  }
  return `TLS handshake with ${remote} failed: ${err.code ?? err.message}`;
}

export const remoteOf = (socket: { remoteAddress?: string; remotePort?: number }) => `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;

/** Drops a TLS socket whose handshake does not finish in time; the timer goes once it does. */
export function limitHandshake(socket: TLSSocket, ms = HANDSHAKE_TIMEOUT_MS, onTimeout: () => void = () => {}): void {
  const timer = setTimeout(() => {
    onTimeout();
    socket.destroy();
  }, ms);
  timer.unref();
  socket.once('secure', () => clearTimeout(timer));
  socket.once('close', () => clearTimeout(timer));
}
