/**
 * `payjs-sandbox check-notify URL [--mchid M --key K] [--json | --junit FILE]`: runs the notify
 * conformance battery (src/notify/conformance.ts) against a merchant's notify endpoint from an
 * in-process sandbox that keeps nothing, prints the report, and exits 0 when the endpoint conforms,
 * 1 when it does not (2 for a usage error), for CI.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startSandbox } from '../sandbox.js';
import { formatReport } from '../notify/conformance.js';
import { junitXml } from '../notify/junit.js';

export const CHECK_NOTIFY_HELP = `Usage: payjs-sandbox check-notify URL [--mchid M --key K] [--json | --junit FILE]

Sends real PAYJS notifies to URL (valid, Alipay, duplicate, forged sign, unknown extra fields,
optional fields absent, replay after a refund, JSON body) and reports what it answered.
  --mchid M --key K   the merchant the endpoint verifies signs for (default 1234567890 / TestKey1234567890)
  --json              print the report as JSON
  --junit FILE        also write the report as JUnit XML to FILE
Exit code: 0 when the endpoint conforms, 1 when a case failed, 2 for a usage error.
`;

export async function runCheckNotify(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  let values: { mchid?: string; key?: string; json?: boolean; junit?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { mchid: { type: 'string' }, key: { type: 'string' }, json: { type: 'boolean' }, junit: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (e) {
    err(`payjs-sandbox check-notify: ${(e as Error).message}\n${CHECK_NOTIFY_HELP}`);
    return 2;
  }
  if (values.help) return out(CHECK_NOTIFY_HELP), 0;
  const usage = (why: string) => (err(`payjs-sandbox check-notify: ${why}\n${CHECK_NOTIFY_HELP}`), 2);
  if (positionals.length !== 1) return usage('give exactly one URL: the notify endpoint to check');
  const url = positionals[0];
  if (!/^https?:\/\//i.test(url)) return usage(`"${url}" is not an http(s) URL`);
  if (!!values.mchid !== !!values.key) return usage('--mchid and --key go together: the key of that merchant signs the notifies');
  const merchants = values.mchid ? [`${values.mchid}:${values.key}`] : [];
  let sandbox;
  try {
    sandbox = await startSandbox({ merchants });
  } catch (e) {
    err(`payjs-sandbox check-notify: ${(e as Error).message}`);
    return 2;
  }
  try {
    const report = await sandbox.checkNotify(url, { mchid: values.mchid });
    out(values.json ? JSON.stringify(report, null, 2) : formatReport(report));
    if (values.junit) writeFileSync(values.junit, junitXml(report));
    return report.passed ? 0 : 1;
  } catch (e) {
    err(`payjs-sandbox check-notify: ${(e as Error).message}`);
    return 2;
  } finally {
    await sandbox.close();
  }
}
