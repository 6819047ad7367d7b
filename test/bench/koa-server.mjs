// The floor of the design's stack: a plain koa + @koa/router + koa-bodyparser server that does what
// a PAYJS create and check need at the least (verify the sign, keep the order, answer signed), with
// orders in a Map and no durability. Its own process, like the sandbox. `--db FILE` preloads the
// orders of a sandbox document (for /api/check). The bench measures the sandbox against it.
import { createHash, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Koa from 'koa';
import Router from '@koa/router';
import bodyParser from 'koa-bodyparser';

const KEYS = { 1234567890: 'TestKey1234567890' };
const md5 = (s) => createHash('md5').update(s, 'utf8').digest('hex').toUpperCase();
const sign = (p, key) =>
  md5(`${Object.keys(p).filter((k) => k !== 'sign' && p[k] !== '' && p[k] !== undefined && p[k] !== null).sort().map((k) => `${k}=${p[k]}`).join('&')}&key=${key}`);
const signed = (fields, key) => ({ ...fields, sign: sign(fields, key) });
const fail = (msg) => ({ return_code: 0, msg, return_msg: msg });

const orders = new Map();
const dbAt = process.argv.indexOf('--db');
if (dbAt > 0) {
  for (const [id, o] of Object.entries(JSON.parse(readFileSync(process.argv[dbAt + 1], 'utf8')).collections.orders ?? {})) orders.set(id, o);
}

const router = new Router({ prefix: '/api' });
router.post('/native', (ctx) => {
  const p = ctx.request.body;
  const key = KEYS[p.mchid];
  if (!key) return void (ctx.body = fail('mchid not found'));
  if (p.sign !== sign(p, key)) return void (ctx.body = fail('sign error'));
  if (!p.out_trade_no || !/^\d+$/.test(p.total_fee ?? '')) return void (ctx.body = fail('missing fields'));
  const now = Date.now();
  const id = `${now}${randomInt(1e9)}`;
  orders.set(id, { payjs_order_id: id, mchid: p.mchid, out_trade_no: p.out_trade_no, total_fee: Number(p.total_fee), body: p.body, status: 'unpaid', created_at: now });
  const code_url = `weixin://wxpay/bizpayurl?pr=${id.slice(-12)}`;
  ctx.body = signed({ return_code: 1, return_msg: 'SUCCESS', out_trade_no: p.out_trade_no, payjs_order_id: id, total_fee: p.total_fee, code_url, qrcode: `http://${ctx.host}/qrcode/${id}` }, key);
});
router.post('/check', (ctx) => {
  const p = ctx.request.body;
  const order = orders.get(p.payjs_order_id);
  if (!order) return void (ctx.body = fail('order not found'));
  const key = KEYS[order.mchid];
  if (p.sign !== sign(p, key)) return void (ctx.body = fail('sign error'));
  const paid = order.status === 'paid';
  ctx.body = signed({ return_code: 1, mchid: order.mchid, out_trade_no: order.out_trade_no, payjs_order_id: order.payjs_order_id, transaction_id: paid ? order.transaction_id : '0', status: paid ? 1 : 0, total_fee: order.total_fee, paid_time: paid ? String(order.paid_at) : '0' }, key);
});

const app = new Koa();
app.use(bodyParser({ enableTypes: ['form'] }));
app.use(router.routes());
app.use(router.allowedMethods());
const server = app.listen(Number(process.argv[2]) || 0, '127.0.0.1', () => {
  console.log(`koa listening on http://127.0.0.1:${server.address().port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
