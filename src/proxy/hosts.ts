/** The hosts PAYJS clients call: payjs.cn (docs/protocol.md §1), and www.payjs.cn, which some
 * clients use. Intercepted by the proxy, named by the TLS
 * listener's certificate, redirected by `payjs-sandbox/intercept`. */
export const PAYJS_HOSTS = ['payjs.cn', 'www.payjs.cn'];

/** The PAYJS hosts plus the PAYJS-compatible ones given (`--intercept-host`), lower-case, once each. */
export const interceptedHosts = (extra: string[] = []) => [...new Set([...PAYJS_HOSTS, ...extra.map((h) => h.trim().toLowerCase()).filter(Boolean)])];
