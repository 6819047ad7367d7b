import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checkMerchant, parseMerchantSpec, type Merchant } from '../core/merchant.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../sandbox.js';
import { DatabaseRefused } from '../store/refusal.js';
import { runDoctor } from './doctor.js';
import { runCheckNotify } from './check-notify.js';
import { runEnv } from './env.js';
import { packageVersion } from '../http/package-files.js';

export const DEFAULT_DB_FILE = 'payjs-sandbox.db.json';

export const HELP = `payjs-sandbox: a local sandbox of the PAYJS payment gateway (payjs.cn)

Usage: payjs-sandbox [options]
       payjs-sandbox doctor <dir>   check a mini-program's PAYJS return handling (see the README)
       payjs-sandbox check-notify URL [--mchid M --key K] [--json | --junit FILE]
                                    check a merchant's notify endpoint against PAYJS's rules
       payjs-sandbox env [--shell]  what to set so that code hard-coding https://payjs.cn reaches the sandbox

Options:
  --port N                 port to listen on (env PORT; default 3000; 0 picks a free one)
  --host H                 interface to bind (env HOST; default 127.0.0.1)
  --db FILE                lowdb file to persist to (default ./${DEFAULT_DB_FILE})
  --memory                 keep nothing on disk
  --repair                 keep a damaged database file aside and start from what is valid
  --fsync                  fsync each journal write before answering (survives power loss; slower)
  --merchant MCHID:KEY[:NAME]
                           add a merchant (repeatable; env PAYJS_SANDBOX_MERCHANTS=MCHID:KEY,MCHID:KEY)
  --merchants-file FILE    add the merchants of a JSON file (see fixtures/merchants.json)
  --unique-out-trade-no    refuse a second order with the same out_trade_no
  --lenient-sign           also accept lower-case hex and signatures that left out 0 values
  --openid-page            /api/openid shows a page to pick the fake WeChat user (default: straight redirect)
  --no-magic-amounts       let total_fee 501-514 behave like any amount
  --notify-allow HOSTS     the only hosts notifies may reach, comma-separated: host, host:port, *.domain
  --seed FILE              create the merchants and orders of a seed file (see fixtures/seed.json)
  --scenario FILE          load the rules of a scenario file (repeatable; see fixtures/scenarios/)
  --control-token T        the token the control API and dashboard require off loopback
                           (env PAYJS_SANDBOX_TOKEN; default: a random one, printed)
  --allowed-host NAME      another Host name the control API and dashboard answer to, besides
                           localhost, 127.0.0.1, [::1] and --host (repeatable)

Intercepting https://payjs.cn (README, "Testing code that hard-codes https://payjs.cn"):
  --proxy-port N           an HTTPS proxy (set it as HTTPS_PROXY) that serves payjs.cn and www.payjs.cn
                           from this sandbox, with certificates of the sandbox CA; other hosts are
                           tunnelled untouched (env PAYJS_SANDBOX_PROXY_PORT; 0 picks a free port)
  --https-port N           also serve the sandbox over TLS, for payjs.cn mapped here (/etc/hosts, …)
  --intercept-host NAME    intercept a PAYJS-compatible host too (repeatable)
  --proxy-refuse-others    refuse (403) every host but the intercepted ones instead of tunnelling it
  --proxy-allow-others     tunnel other hosts even off loopback (by default --host 0.0.0.0 refuses them)
  --ca-dir DIR             where the CA is kept (default: beside the db; with --memory a temporary one)
  -h, --help               show this help
  -v, --version            show the version

The default merchant is always there: mchid 1234567890, key TestKey1234567890.
Point a PAYJS client at the printed base URL instead of https://payjs.cn.
`;

export interface CliCommand {
  kind: 'run' | 'help' | 'version';
  options: SandboxOptions;
  /** A seed file to load once started. */
  seed?: string;
}

/** Reads argv and env into sandbox options; throws an Error whose message tells the fix. */
export function parseCli(argv: string[], env: Record<string, string | undefined>): CliCommand {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      db: { type: 'string' },
      memory: { type: 'boolean' },
      repair: { type: 'boolean' },
      fsync: { type: 'boolean' },
      'allowed-host': { type: 'string', multiple: true },
      merchant: { type: 'string', multiple: true },
      'merchants-file': { type: 'string' },
      'unique-out-trade-no': { type: 'boolean' },
      'lenient-sign': { type: 'boolean' },
      'openid-page': { type: 'boolean' },
      'no-magic-amounts': { type: 'boolean' },
      seed: { type: 'string' },
      scenario: { type: 'string', multiple: true },
      'notify-allow': { type: 'string' },
      'control-token': { type: 'string' },
      'proxy-port': { type: 'string' },
      'https-port': { type: 'string' },
      'intercept-host': { type: 'string', multiple: true },
      'proxy-refuse-others': { type: 'boolean' },
      'proxy-allow-others': { type: 'boolean' },
      'ca-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
  if (values.help) return { kind: 'help', options: {} };
  if (values.version) return { kind: 'version', options: {} };
  if (values.memory && values.db) throw new Error('--db and --memory exclude each other: choose one');
  const port = portNumber('--port', values.port ?? env.PORT ?? '3000')!;
  const proxyPort = portNumber('--proxy-port', values['proxy-port'] ?? env.PAYJS_SANDBOX_PROXY_PORT);
  const httpsPort = portNumber('--https-port', values['https-port']);
  if (values['proxy-refuse-others'] && values['proxy-allow-others']) throw new Error('--proxy-refuse-others and --proxy-allow-others exclude each other: choose one');
  const merchants: Merchant[] = [];
  for (const spec of (env.PAYJS_SANDBOX_MERCHANTS ?? '').split(',').filter(Boolean)) merchants.push(parseMerchantSpec(spec.trim()));
  if (values['merchants-file']) merchants.push(...readMerchantsFile(values['merchants-file']));
  for (const spec of values.merchant ?? []) merchants.push(parseMerchantSpec(spec));
  return {
    kind: 'run',
    options: {
      port,
      host: values.host ?? env.HOST ?? '127.0.0.1',
      db: values.memory ? undefined : resolve(values.db ?? DEFAULT_DB_FILE),
      merchants,
      uniqueOutTradeNo: values['unique-out-trade-no'] ?? false,
      lenientSign: values['lenient-sign'] ?? false,
      openidPage: values['openid-page'] ?? false,
      magicAmounts: !values['no-magic-amounts'],
      notifyAllow: values['notify-allow']?.split(',').map((h) => h.trim()).filter(Boolean),
      controlToken: values['control-token'] ?? env.PAYJS_SANDBOX_TOKEN,
      ...(values.scenario?.length ? { scenarios: values.scenario.map((f) => resolve(f)) } : {}),
      repair: values.repair ?? false,
      fsync: values.fsync ?? false,
      allowedHosts: values['allowed-host'],
      proxyPort,
      httpsPort,
      interceptHosts: values['intercept-host'],
      proxyRefuseOthers: values['proxy-refuse-others'] ?? false,
      proxyAllowOthers: values['proxy-allow-others'] ?? false,
      caDir: values['ca-dir'] ? resolve(values['ca-dir']) : undefined,
    },
    seed: values.seed,
  };
}

/** A port from its text (undefined stays undefined); throws naming the flag. */
function portNumber(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new Error(`${flag} must be a number from 0 to 65535, not "${text}"`);
  return port;
}

/** A merchants file: a JSON array of `{ mchid, key, name?, phone?, jsapi_path?, doudou? }`. */
export function readMerchantsFile(file: string): Merchant[] {
  let list: unknown;
  try {
    list = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`--merchants-file ${file}: ${(err as Error).message}`);
  }
  if (!Array.isArray(list)) throw new Error(`--merchants-file ${file}: expected a JSON array of { "mchid", "key" }`);
  return list.map((m, i) => checkMerchant(m as Partial<Merchant>, `${file}[${i}]`));
}

/** The lines printed at start: everything needed to point a client at the sandbox. */
export function banner(sandbox: Sandbox, version: string): string {
  const others = sandbox.merchants.filter((m) => m.mchid !== sandbox.merchant.mchid);
  return [
    `payjs-sandbox ${version} listening on ${sandbox.url}`,
    `  PAYJS base URL   ${sandbox.url}   (use it instead of https://payjs.cn)`,
    `  merchant         mchid ${sandbox.merchant.mchid}   key ${sandbox.merchant.key}   (default)`,
    ...others.map((m) => `  merchant         mchid ${m.mchid}   key ${m.key}`),
    `  database         ${sandbox.db ? `${sandbox.db} (+ .journal)` : 'memory only (--memory): nothing is kept'}`,
    `  dashboard        ${sandbox.url}/${sandbox.controlToken ? `?token=${sandbox.controlToken}` : ''}`,
    ...(sandbox.controlToken ? [`  control token    ${sandbox.controlToken}   (X-Sandbox-Token header; the PAYJS API and pay pages stay open)`] : []),
    `  mark paid        POST ${sandbox.url}/__sandbox/orders/{payjs_order_id}/pay`,
    ...interceptionLines(sandbox),
    '  stop             Ctrl-C',
  ].join('\n');
}

/** The banner's lines for the proxy and the TLS listener, when they run. */
function interceptionLines(sandbox: Sandbox): string[] {
  if (!sandbox.proxyUrl && !sandbox.httpsUrl) return [];
  const info = sandbox.interception();
  return [
    ...(sandbox.proxyUrl ? [`  HTTPS proxy      ${sandbox.proxyUrl}   (serves ${info.hosts.join(', ')}; other hosts ${info.others === 'refuse' ? 'refused' : 'tunnelled untouched'})`] : []),
    ...(sandbox.httpsUrl ? [`  TLS listener     ${sandbox.httpsUrl}   (certificate for ${info.hosts.join(', ')}, localhost)`] : []),
    `  sandbox CA       ${info.caFile}   (trust it; what to set per stack: payjs-sandbox env${sandbox.port === 3000 ? '' : ` --url ${sandbox.url}`})`,
  ];
}

export { packageVersion } from '../http/package-files.js';

/** Runs the CLI: returns the exit code for help/errors, or keeps running until a signal. */
export async function runCli(argv: string[], env: Record<string, string | undefined>, out = console.log, err = console.error): Promise<number | Sandbox> {
  if (argv[0] === 'doctor') return runDoctor(argv.slice(1), out, err);
  if (argv[0] === 'check-notify') return runCheckNotify(argv.slice(1), out, err);
  if (argv[0] === 'env') return runEnv(argv.slice(1), env, out, err);
  let command: CliCommand;
  try {
    command = parseCli(argv, env);
  } catch (e) {
    err(`payjs-sandbox: ${(e as Error).message}\n(run payjs-sandbox --help)`);
    return 2;
  }
  if (command.kind === 'help') return out(HELP), 0;
  if (command.kind === 'version') return out(packageVersion()), 0;
  let sandbox: Sandbox;
  try {
    sandbox = await startSandbox({ ...command.options, log: err });
  } catch (e) {
    // A database the sandbox will not touch is a usage error (exit 2), like a bad flag.
    if (e instanceof DatabaseRefused) return err(`payjs-sandbox: ${e.message}`), 2;
    const inUse = (e as NodeJS.ErrnoException).code === 'EADDRINUSE';
    err(`payjs-sandbox: could not start: ${(e as Error).message}${inUse ? `\n(another program listens on port ${command.options.port}: stop it, or choose another port with --port N, or --port 0 for a free one)` : ''}`);
    return 1;
  }
  if (command.seed) {
    try {
      const seeded = await sandbox.seed(JSON.parse(readFileSync(command.seed, 'utf8')));
      err(`payjs-sandbox: seeded ${seeded.length} order(s) from ${command.seed}`);
    } catch (e) {
      err(`payjs-sandbox: --seed ${command.seed}: ${(e as Error).message}`);
      await sandbox.close();
      return 1;
    }
  }
  out(banner(sandbox, packageVersion()));
  return sandbox;
}
