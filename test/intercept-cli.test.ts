import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verify } from '../src/index.js';
import { parseCli } from '../src/cli/cli.js';
import { KEY, MCHID, signed, tradeNo } from './support.js';

const run = promisify(execFile);

describe('payjs-sandbox --proxy-port, as a user runs it, and payjs-sandbox env', () => {
  let cli: ChildProcess;
  const banner: string[] = [];
  let url: string;
  beforeAll(async () => {
    // The proxy port from the environment, as PAYJS_SANDBOX_PROXY_PORT.
    cli = spawn(process.execPath, ['dist/cli/bin.js', '--port', '0', '--memory', '--https-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PAYJS_SANDBOX_PROXY_PORT: '0' } });
    await new Promise<void>((resolve, reject) => {
      const lines = createInterface({ input: cli.stdout! });
      lines.on('line', (line) => {
        banner.push(line);
        if (line.includes('stop')) resolve();
      });
      cli.once('exit', (code) => reject(new Error(`the CLI exited with ${code}: ${banner.join('\n')}`)));
    });
    url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(banner[0])![1];
  });
  afterAll(async () => {
    if (cli && cli.exitCode === null) {
      const exited = new Promise((resolve) => cli.once('exit', resolve));
      cli.kill('SIGTERM');
      await exited;
    }
  });

  it('the banner shows the proxy, the TLS listener and the CA, and points at payjs-sandbox env', () => {
    const text = banner.join('\n');
    expect(text).toMatch(/HTTPS proxy {6}http:\/\/127\.0\.0\.1:\d+ {3}\(serves payjs\.cn, www\.payjs\.cn; other hosts tunnelled untouched\)/);
    expect(text).toMatch(/TLS listener {5}https:\/\/127\.0\.0\.1:\d+/);
    expect(text).toMatch(/sandbox CA {7}\/.*payjs-sandbox-ca\.pem {3}\(trust it; what to set per stack: payjs-sandbox env --url http:\/\/127\.0\.0\.1:\d+\)/);
  });

  it('env prints one stack a line, for the running configuration', async () => {
    const { stdout } = await run(process.execPath, ['dist/cli/bin.js', 'env', '--url', url]);
    const proxy = /HTTPS proxy\s+(\S+)/.exec(banner.join('\n'))![1];
    for (const stack of ['any (proxy)', 'Node.js', 'Go, OpenSSL, Ruby', 'Python requests', 'curl', 'PHP (curl, streams)', 'Java', '.NET', 'host mapping']) expect(stdout).toContain(`  ${stack} `);
    expect(stdout).toContain(`HTTPS_PROXY=${proxy} https_proxy=${proxy} NO_PROXY=localhost,127.0.0.1,::1`);
    expect(stdout).toMatch(/NODE_EXTRA_CA_CERTS=\/\S+payjs-sandbox-ca\.pem/);
    expect(stdout).toMatch(/REQUESTS_CA_BUNDLE=\/\S+payjs-sandbox-ca-bundle\.pem/);
    expect(stdout).toMatch(/php -d curl\.cainfo=\S+ -d openssl\.cafile=\S+/);
    expect(stdout).toMatch(/keytool -importcert -noprompt -alias payjs-sandbox -file \S+/);
  });

  it('eval "$(payjs-sandbox env --shell)" makes an unmodified curl https://payjs.cn call reach the sandbox', async () => {
    const body = new URLSearchParams(Object.entries(signed({ mchid: MCHID, total_fee: 1, out_trade_no: tradeNo(), body: 'eval' })).map(([k, v]) => [k, String(v)])).toString();
    const script = `eval "$(${process.execPath} dist/cli/bin.js env --shell --url ${url})" && curl -sS --max-time 10 https://payjs.cn/api/native -d '${body}'`;
    const { stdout } = await run('bash', ['-c', script]);
    const answer = JSON.parse(stdout);
    expect(answer.return_code).toBe(1);
    expect(verify(answer, KEY)).toBe(true);
  });

  it('env names the sandbox that did not answer', async () => {
    await expect(run(process.execPath, ['dist/cli/bin.js', 'env', '--url', 'http://127.0.0.1:9'])).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('no sandbox answered at http://127.0.0.1:9') });
  });
});

describe('the interception flags', () => {
  it.each([
    [['--proxy-port', 'x'], '--proxy-port must be a number from 0 to 65535, not "x"'],
    [['--https-port', '70000'], '--https-port must be a number from 0 to 65535, not "70000"'],
    [['--proxy-refuse-others', '--proxy-allow-others'], '--proxy-refuse-others and --proxy-allow-others exclude each other'],
  ])('%j is refused with the fix', (argv, message) => {
    expect(() => parseCli(argv, {})).toThrow(message);
  });

  it('reads every flag into the sandbox options', () => {
    const { options } = parseCli(['--proxy-port', '8080', '--https-port', '8443', '--intercept-host', 'pay.example.test', '--intercept-host', 'PAYJS.example.test', '--proxy-refuse-others', '--ca-dir', '/tmp/ca'], {});
    expect(options).toMatchObject({ proxyPort: 8080, httpsPort: 8443, interceptHosts: ['pay.example.test', 'PAYJS.example.test'], proxyRefuseOthers: true, caDir: '/tmp/ca' });
    expect(parseCli([], {}).options.proxyPort).toBeUndefined();
  });
});
