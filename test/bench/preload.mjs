// Builds a sandbox lowdb document holding `count` orders of the default merchant, written
// straight to disk (no server, no journal) by the store's own writer (writeCheckpoint of the
// build in dist/, with the summaries the sandbox keeps): the store reads it at open as it would
// after a compaction. `{ oneLine: true }` writes the whole document on one line instead, as
// version-1 stores did. Order records have the shape Gateway.newOrder gives a native order
// (src/gateway.ts), a third of them paid the way Gateway.pay leaves them.
import { writeFileSync } from 'node:fs';
import { STORE_SUMMARIES } from '../../dist/app/order-summary.js';
import { writeCheckpoint } from '../../dist/store/checkpoint.js';

const MCHID = '1234567890';
const TTL_MS = 2 * 60 * 60 * 1000; // DEFAULT_ORDER_TTL_SECONDS: unexpired, so check never writes
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const BEIJING_OFFSET_MS = 8 * 60 * 60 * 1000;

const compactTime = (ms) => new Date(ms + BEIJING_OFFSET_MS).toISOString().slice(0, 19).replace(/[-T:]/g, '');
const token = (n) => {
  let s = '';
  for (let i = 0; i < n; i++) s += ALNUM[Math.floor(Math.random() * ALNUM.length)];
  return s;
};

/** Writes the document to `file`; resolves to the payjs_order_ids, in creation order. */
export async function writeOrdersDoc(file, count, now = Date.now(), { oneLine = false } = {}) {
  const prefix = `${compactTime(now)}00`;
  const ids = [];
  const orders = new Map();
  for (let i = 0; i < count; i++) {
    const id = `${prefix}${String(i).padStart(9, '0')}`; // 25 digits, unique
    const created = now - (count - i); // 1 ms apart, all well inside the TTL
    const order = {
      payjs_order_id: id,
      mchid: MCHID,
      out_trade_no: `PRELOAD${i}`,
      total_fee: 1 + (i % 5000),
      body: 'preloaded order',
      channel: 'native',
      status: 'unpaid',
      created_at: created,
      expires_at: created + TTL_MS,
      code: token(12),
      history: [{ event: 'create', at: created, status: 'unpaid' }],
    };
    if (i % 3 === 2) {
      const paidAt = created + 1;
      order.status = 'paid';
      order.openid = `o7LFAw${token(22)}`;
      order.transaction_id = `4200000${String(i).padStart(21, '0')}`;
      order.paid_at = paidAt;
      order.history.push({ event: 'pay', at: paidAt, status: 'paid' });
    }
    ids.push(id);
    orders.set(id, order);
  }
  if (oneLine) writeFileSync(file, JSON.stringify({ version: 1, seq: count, collections: { orders: Object.fromEntries(orders) } }));
  else await writeCheckpoint(file, count, [['orders', orders]], { summaries: STORE_SUMMARIES });
  return ids;
}
