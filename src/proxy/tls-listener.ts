import type { Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import type { CertificateAuthority } from '../tls/authority.js';
import { serveTls } from './handshake.js';

/** The names on the TLS listener's certificate besides the intercepted hosts. */
export const LOCAL_NAMES = ['localhost', '127.0.0.1', '::1'];

/**
 * The TLS listener (`--https-port`): the sandbox's own HTTP server behind TLS, with one certificate
 * from the sandbox CA for the PAYJS hosts and localhost, for setups that map payjs.cn to the
 * sandbox (/etc/hosts, docker compose extra_hosts, Kubernetes hostAliases).
 */
export function createTlsListener(options: { server: HttpServer; ca: CertificateAuthority; hosts: string[]; handshakeTimeoutMs?: number; log: (line: string) => void }): Server {
  const { ca, server, log } = options;
  const context = ca.context([...options.hosts, ...LOCAL_NAMES]);
  return createServer((socket) => serveTls({ socket, context, server, via: 'tls', label: 'TLS listener', caFile: ca.certFile, timeoutMs: options.handshakeTimeoutMs, log }));
}
