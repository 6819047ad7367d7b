import type { IncomingMessage } from 'node:http';
import type { Via } from '../app/call-log.js';

/** How a call reached the sandbox: straight to its port, through the interception proxy, on the
 * TLS listener, or redirected by `payjs-sandbox/intercept` inside a Node process. */
export type { Via };

/** The header `payjs-sandbox/intercept` adds to the requests it redirects, with the host the code
 * named in `X-Forwarded-Host`. */
export const INTERCEPTOR_HEADER = 'x-payjs-sandbox-via';

const tags = new WeakMap<object, Via>();

/** Marks every request that will come on this socket. */
export function tagArrival(socket: object, via: Via): void {
  tags.set(socket, via);
}

/** How a request arrived, and the Host it named (for the interceptor: the host the code asked for). */
export function arrivalOf(req: IncomingMessage): { via: Via; host?: string } {
  const tagged = tags.get(req.socket);
  if (tagged) return { via: tagged, host: req.headers.host };
  if (req.headers[INTERCEPTOR_HEADER] === 'interceptor') {
    const forwarded = req.headers['x-forwarded-host'];
    return { via: 'interceptor', host: (Array.isArray(forwarded) ? forwarded[0] : forwarded) ?? req.headers.host };
  }
  return { via: 'direct', host: req.headers.host };
}
