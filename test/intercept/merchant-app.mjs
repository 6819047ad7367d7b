// A merchant back end as people write it: https://payjs.cn/api/native hard-coded, the PAYJS sign
// done by hand, a notify receiver of its own. The tests run it UNMODIFIED three ways (through the
// proxy, under --import payjs-sandbox/register, in-process with interceptPayjs) and with three
// HTTP clients: `node merchant-app.mjs https|fetch|axios|undici` (undici: the npm package's own
// `request`, which does not go through node:http or the global fetch).
//
// Like many real apps, it uses a proxy when HTTPS_PROXY is set (https-proxy-agent for node:https,
// undici's EnvHttpProxyAgent for fetch and undici, axios on its own): that is the app's code, not
// the test's.
//
// It prints one JSON line when the order exists ({ payjs_order_id, answerSignValid }), then one
// when the notify came and its sign verified ({ notified, notifySignValid }), then exits 0.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import https from 'node:https';

const PAYJS_NATIVE = 'https://payjs.cn/api/native';
const MCHID = '1234567890';
const KEY = 'TestKey1234567890';

const sign = (params) => {
  const text = Object.keys(params).filter((k) => k !== 'sign' && params[k] !== '' && params[k] !== undefined && params[k] !== null).sort().map((k) => `${k}=${params[k]}`).join('&');
  return createHash('md5').update(`${text}&key=${KEY}`).digest('hex').toUpperCase();
};

async function post(url, form, client) {
  const body = new URLSearchParams(form).toString();
  if (client === 'fetch') {
    if (process.env.HTTPS_PROXY) {
      const { setGlobalDispatcher, EnvHttpProxyAgent } = await import('undici');
      setGlobalDispatcher(new EnvHttpProxyAgent());
    }
    const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    return res.json();
  }
  if (client === 'undici') {
    const { request, setGlobalDispatcher, EnvHttpProxyAgent } = await import('undici');
    if (process.env.HTTPS_PROXY) setGlobalDispatcher(new EnvHttpProxyAgent());
    const res = await request(url, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    return res.body.json();
  }
  if (client === 'axios') {
    const { default: axios } = await import('axios');
    return (await axios.post(url, body, { headers: { 'content-type': 'application/x-www-form-urlencoded' } })).data;
  }
  let agent;
  if (process.env.HTTPS_PROXY) {
    const { HttpsProxyAgent } = await import('https-proxy-agent');
    agent = new HttpsProxyAgent(process.env.HTTPS_PROXY);
  }
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(text));
        } catch {
          reject(new Error(`not JSON (HTTP ${res.statusCode}): ${text.slice(0, 200)}`));
        }
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

export async function main(client = process.argv[2] ?? 'https') {
  let notified;
  const notify = new Promise((resolve) => (notified = resolve));
  const receiver = createServer((req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      const params = Object.fromEntries(new URLSearchParams(text));
      res.end('success');
      notified(params);
    });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const order = { mchid: MCHID, total_fee: 1, out_trade_no: `M${Date.now()}${client}`, body: 'intercept test', notify_url: `http://127.0.0.1:${receiver.address().port}/notify` };
  const answer = await post(PAYJS_NATIVE, { ...order, sign: sign(order) }, client);
  if (answer.return_code !== 1) throw new Error(`PAYJS refused: ${JSON.stringify(answer)}`);
  console.log(JSON.stringify({ payjs_order_id: answer.payjs_order_id, answerSignValid: answer.sign === sign(answer) }));
  const params = await Promise.race([notify, new Promise((_, reject) => setTimeout(() => reject(new Error('no notify within 15 s')), 15_000).unref())]);
  console.log(JSON.stringify({ notified: params.payjs_order_id, notifySignValid: params.sign === sign(params) }));
  receiver.close();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(`merchant-app: ${err.message}`);
      process.exit(1);
    },
  );
}
