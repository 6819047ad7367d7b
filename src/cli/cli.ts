import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checkMerchant, parseMerchantSpec, type Merchant } from '../core/merchant.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../sandbox.js';
import { runDoctor } from './doctor.js';
import { packageVersion } from '../http/package-files.js';

export const DEFAULT_DB_FILE = 'payjs-sandbox.db.json';

export const HELP = `payjs-sandbox: a local sandbox of the PAYJS payment gateway (payjs.cn)

Usage: payjs-sandbox [options]
       payjs-sandbox doctor <dir>   check a mini-program's PAYJS return handling (see the README)

Options:
  --port N                 port to listen on (env PORT; default 3000; 0 picks a free one)
  --host H                 interface to bind (env HOST; default 127.0.0.1)
  --db FILE                lowdb file to persist to (default ./${DEFAULT_DB_FILE})
  --memory                 keep nothing on disk
  --merchant MCHID:KEY     add a merchant (repeatable; env PAYJS_SANDBOX_MERCHANTS=MCHID:KEY,MCHID:KEY)
  --merchants-file FILE    add the merchants of a JSON file (see fixtures/merchants.json)
  --unique-out-trade-no    refuse a second order with the same out_trade_no
  --lenient-sign           also accept lower-case hex and signatures that left out 0 values
  --openid-page            /api/openid shows a page to pick the fake WeChat user (default: straight redirect)
  --no-magic-amounts       let total_fee 501-514 behave like any amount
  --notify-allow HOSTS     the only hosts notifies may reach, comma-separated: host, host:port, *.domain
  --seed FILE              create the merchants and orders of a seed file (see fixtures/seed.json)
  --control-token T        the token the control API and dashboard require off loopback
                           (env PAYJS_SANDBOX_TOKEN; default: a random one, printed)
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
      merchant: { type: 'string', multiple: true },
      'merchants-file': { type: 'string' },
      'unique-out-trade-no': { type: 'boolean' },
      'lenient-sign': { type: 'boolean' },
      'openid-page': { type: 'boolean' },
      'no-magic-amounts': { type: 'boolean' },
      seed: { type: 'string' },
      'notify-allow': { type: 'string' },
      'control-token': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
  if (values.help) return { kind: 'help', options: {} };
  if (values.version) return { kind: 'version', options: {} };
  if (values.memory && values.db) throw new Error('--db and --memory exclude each other: choose one');
  const portText = values.port ?? env.PORT ?? '3000';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw new Error(`--port must be a number from 0 to 65535, not "${portText}"`);
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
    },
    seed: values.seed,
  };
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
    '  stop             Ctrl-C',
  ].join('\n');
}

export { packageVersion } from '../http/package-files.js';

/** Runs the CLI: returns the exit code for help/errors, or keeps running until a signal. */
export async function runCli(argv: string[], env: Record<string, string | undefined>, out = console.log, err = console.error): Promise<number | Sandbox> {
  if (argv[0] === 'doctor') return runDoctor(argv.slice(1), out, err);
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
    err(`payjs-sandbox: could not start: ${(e as Error).message}`);
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
