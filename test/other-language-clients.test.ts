/** Merchant back ends in other languages, written the way their PAYJS integrations are: Python
 * requests posting a form, PHP curl posting an array (multipart/form-data). Each signs in its
 * own language and gets a signed answer. Skipped, with the reason, where the runtime is absent. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../src/index.js';
import { KEY, MCHID, tradeNo, verifies } from './support.js';
import { needs } from './support/runtimes.js';

const run = promisify(execFile);

const PYTHON = `
import hashlib, sys, requests
base, mchid, key, out_trade_no = sys.argv[1:5]
p = {'mchid': mchid, 'total_fee': 1, 'out_trade_no': out_trade_no, 'body': '测试订单'}
s = '&'.join(f'{k}={p[k]}' for k in sorted(p)) + '&key=' + key
p['sign'] = hashlib.md5(s.encode()).hexdigest().upper()
print(requests.post(base + '/api/native', data=p, timeout=10).text)
`;

const PHP = `
[, $base, $mchid, $key, $no] = $argv;
$p = ['mchid' => $mchid, 'total_fee' => 1, 'out_trade_no' => $no, 'body' => '测试订单'];
ksort($p);
$p['sign'] = strtoupper(md5(urldecode(http_build_query($p)) . '&key=' . $key));
$c = curl_init($base . '/api/native');
curl_setopt_array($c, [CURLOPT_POST => true, CURLOPT_POSTFIELDS => $p, CURLOPT_RETURNTRANSFER => true]);
echo curl_exec($c);
`;

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(() => sandbox?.close());

const createdBy = async (command: string, args: string[]) => {
  const outTradeNo = tradeNo();
  const { stdout } = await run(command, [...args, sandbox.url, MCHID, KEY, outTradeNo], { timeout: 15_000 });
  return { outTradeNo, answer: JSON.parse(stdout) as Record<string, unknown> };
};

describe.runIf(needs('python'))('a Python requests back end', () => {
  it('creates a native order with a form post and gets a signed answer', async () => {
    const { outTradeNo, answer } = await createdBy('python3', ['-c', PYTHON]);
    expect(answer).toMatchObject({ return_code: 1, out_trade_no: outTradeNo });
    expect(verifies(answer)).toBe(true);
    expect(sandbox.calls({ out_trade_no: outTradeNo }).map((c) => c.transport)).toEqual(['form']);
  });
});

describe.runIf(needs('php'))('a PHP curl back end', () => {
  it('creates a native order with a multipart post and gets a signed answer', async () => {
    const { outTradeNo, answer } = await createdBy('php', ['-r', PHP, '--']);
    expect(answer).toMatchObject({ return_code: 1, out_trade_no: outTradeNo });
    expect(verifies(answer)).toBe(true);
    expect(sandbox.calls({ out_trade_no: outTradeNo }).map((c) => c.transport)).toEqual(['multipart']);
  });
});
