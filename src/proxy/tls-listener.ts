import { createServer, type Server } from 'node:https';
import type { RequestListener } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { CertificateAuthority } from '../tls/authority.js';
import { tagArrival } from '../http/arrival.js';
import { HANDSHAKE_TIMEOUT_MS, handshakeFailure, remoteOf } from './handshake.js';

/** The names on the TLS listener's certificate besides the intercepted hosts. */
export const LOCAL_NAMES = ['localhost', '127.0.0.1', '::1'];

/**
 * The TLS listener (`--https-port`): the sandbox app over HTTPS, with one certificate from the
 * sandbox CA for the PAYJS hosts and localhost, for setups that map payjs.cn to the sandbox
 * (/etc/hosts, docker compose extra_hosts, Kubernetes hostAliases).
 */
export function createTlsListener(options: { handler: RequestListener; ca: CertificateAuthority; hosts: string[]; handshakeTimeoutMs?: number; log: (line: string) => void }): Server {
  const { ca, log } = options;
  const server = createServer(
    { ...ca.leaf([...options.hosts, ...LOCAL_NAMES]), ALPNProtocols: ['http/1.1'], handshakeTimeout: options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS, maxHeaderSize: 16 * 1024, headersTimeout: 10_000, requestTimeout: 30_000, keepAliveTimeout: 5_000 },
    options.handler,
  );
  server.on('connection', (socket) => socket.on('error', () => socket.destroy()));
  server.on('secureConnection', (socket: TLSSocket) => tagArrival(socket, 'tls'));
  // A handshake that fails or does not finish within handshakeTimeout (node:tls drops it then).
  server.on('tlsClientError', (err, socket) => log(`TLS listener: ${handshakeFailure(remoteOf(socket), err, ca.certFile)}`));
  return server;
}
