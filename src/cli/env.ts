/**
 * `payjs-sandbox env [--url URL] [--shell]`: what to set, per stack, so that code which hard-codes
 * https://payjs.cn reaches a running sandbox: read from that sandbox (GET /__sandbox/interception).
 */
import { parseArgs } from 'node:util';
import type { InterceptionInfo } from '../proxy/interception.js';

/** Loopback stays direct: the merchant's own servers and the sandbox's main port. */
const NO_PROXY = 'localhost,127.0.0.1,::1';
const quote = (v: string) => (/^[\w@%+=:,./-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`);

/** One line per stack: the variables or flags that make it reach the sandbox. */
export function envLines(info: InterceptionInfo): [stack: string, what: string][] {
  const ca = info.caFile;
  const bundle = info.caBundle;
  const proxy = info.proxy;
  const lines: [string, string][] = [];
  if (proxy) lines.push(['any (proxy)', `HTTPS_PROXY=${proxy} https_proxy=${proxy} NO_PROXY=${NO_PROXY} no_proxy=${NO_PROXY}`]);
  else lines.push(['any (proxy)', 'no proxy running: start the sandbox with --proxy-port 0 (or N) to intercept https://payjs.cn through HTTPS_PROXY']);
  lines.push(
    ['Node.js', `NODE_EXTRA_CA_CERTS=${ca}   (node:https and fetch ignore HTTPS_PROXY: use an agent that honours it, or no proxy at all: node --import payjs-sandbox/register with PAYJS_SANDBOX_URL=${info.url})`],
    ['Go, OpenSSL, Ruby', `SSL_CERT_FILE=${bundle}`],
    ['Python requests', `REQUESTS_CA_BUNDLE=${bundle}`],
    ['curl', `CURL_CA_BUNDLE=${bundle}   (or curl --cacert ${ca})`],
    ['PHP (curl, streams)', `php -d curl.cainfo=${bundle} -d openssl.cafile=${bundle} app.php`],
    ['Java', `keytool -importcert -noprompt -alias payjs-sandbox -file ${ca} -keystore payjs-sandbox.jks -storepass changeit; then java -Djavax.net.ssl.trustStore=payjs-sandbox.jks -Djavax.net.ssl.trustStorePassword=changeit${proxy ? ` -Dhttps.proxyHost=${new URL(proxy).hostname} -Dhttps.proxyPort=${new URL(proxy).port}` : ''} …`],
    ['.NET', `SSL_CERT_FILE=${bundle} on Linux (HttpClient reads HTTPS_PROXY); on Windows: Import-Certificate -FilePath ${ca} -CertStoreLocation Cert:\\CurrentUser\\Root`],
  );
  if (info.https) lines.push(['host mapping', `map ${info.hosts.join(', ')} to the machine of ${info.https} (/etc/hosts, extra_hosts, hostAliases) and trust ${ca}`]);
  return lines;
}

/** `export` lines for `eval "$(payjs-sandbox env --shell)"`; what is not a variable, as comments. */
export function shellLines(info: InterceptionInfo): string[] {
  const vars: [string, string][] = [];
  if (info.proxy) vars.push(['HTTPS_PROXY', info.proxy], ['https_proxy', info.proxy], ['NO_PROXY', NO_PROXY], ['no_proxy', NO_PROXY]);
  vars.push(['NODE_EXTRA_CA_CERTS', info.caFile], ['SSL_CERT_FILE', info.caBundle], ['REQUESTS_CA_BUNDLE', info.caBundle], ['CURL_CA_BUNDLE', info.caBundle], ['PAYJS_SANDBOX_URL', info.url]);
  return [
    `# payjs-sandbox at ${info.url}${info.proxy ? `, proxy ${info.proxy}` : ' (no proxy: start it with --proxy-port)'}`,
    ...vars.map(([k, v]) => `export ${k}=${quote(v)}`),
    ...envLines(info)
      .filter(([stack]) => ['PHP (curl, streams)', 'Java', '.NET'].includes(stack))
      .map(([stack, what]) => `# ${stack}: ${what}`),
  ];
}

export const ENV_HELP = `Usage: payjs-sandbox env [--url URL] [--token T] [--shell]

Prints what to set, per stack, so that code which hard-codes https://payjs.cn reaches the running
sandbox at URL (default: env PAYJS_SANDBOX_URL, else http://127.0.0.1:PORT with PORT from env, else 3000).
  --shell   export lines: eval "$(payjs-sandbox env --shell)"
  --token   the control token, when the sandbox listens beyond loopback (env PAYJS_SANDBOX_TOKEN)
`;

/** Runs `payjs-sandbox env`; returns the exit code. */
export async function runEnv(argv: string[], env: Record<string, string | undefined>, out: (line: string) => void, err: (line: string) => void): Promise<number> {
  let values: { url?: string; token?: string; shell?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, strict: true, options: { url: { type: 'string' }, token: { type: 'string' }, shell: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (e) {
    err(`payjs-sandbox env: ${(e as Error).message}\n${ENV_HELP}`);
    return 2;
  }
  if (values.help) return out(ENV_HELP), 0;
  const url = (values.url ?? env.PAYJS_SANDBOX_URL ?? `http://127.0.0.1:${env.PORT ?? 3000}`).replace(/\/+$/, '');
  const token = values.token ?? env.PAYJS_SANDBOX_TOKEN;
  let info: InterceptionInfo;
  try {
    const res = await fetch(`${url}/__sandbox/interception`, { headers: token ? { 'x-sandbox-token': token } : {}, signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
    info = (await res.json()) as InterceptionInfo;
  } catch (e) {
    err(`payjs-sandbox env: no sandbox answered at ${url} (${(e as Error).message}); start one (payjs-sandbox --proxy-port 0) or give --url`);
    return 1;
  }
  if (values.shell) out(shellLines(info).join('\n'));
  else {
    const lines = envLines(info);
    const width = Math.max(...lines.map(([stack]) => stack.length));
    out([`payjs-sandbox at ${info.url}: CA ${info.caFile}`, ...lines.map(([stack, what]) => `  ${stack.padEnd(width)}   ${what}`)].join('\n'));
  }
  return 0;
}
