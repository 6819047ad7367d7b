/** The hosts PAYJS clients call (docs/protocol.md §1): intercepted by the proxy, named by the TLS
 * listener's certificate, redirected by `payjs-sandbox/intercept`. */
export const PAYJS_HOSTS = ['payjs.cn', 'www.payjs.cn'];

/** The PAYJS hosts plus the PAYJS-compatible ones given (`--intercept-host`), lower-case, once each. */
export const interceptedHosts = (extra: string[] = []) => [...new Set([...PAYJS_HOSTS, ...extra.map((h) => h.trim().toLowerCase()).filter(Boolean)])];
