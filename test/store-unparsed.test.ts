/** Records kept unparsed after the start (src/store/unparsed.ts): what the summaries give before a
 * record is read, what the journal changes after the document, a summary that no longer matches
 * its record, a record found damaged after the start (a clear error, nothing lost, and the next
 * start refuses the file), and the gateway's indexes rebuilt from the summaries after a restart. */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../src/index.js';
import { readUnparsed } from '../src/store/checkpoint.js';
import { RecordDamaged } from '../src/store/unparsed.js';
import { openStore, type Store } from '../src/store/store.js';
import { merchantPost } from './support.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const tempDb = () => {
  const d = mkdtempSync(join(tmpdir(), 'payjs-unparsed-'));
  dirs.push(d);
  return join(d, 'db.json');
};

const SUMMARIES = { orders: ['status', 'code'] };
const open = (file: string, repair = false) => openStore({ file, summaries: SUMMARIES, repair, warn: () => {} });

/** A store file with three orders, closed (so its document holds them all). */
async function threeOrders(): Promise<string> {
  const file = tempDb();
  const s = await open(file);
  await s.put('orders', 'A', { status: 'unpaid', code: 'ca', body: 'first' });
  await s.put('orders', 'B', { status: 'paid', code: 'cb', body: 'second' });
  await s.put('orders', 'C', { status: 'closed', code: 'cc', body: 'third' });
  await s.put('clock', 'advanced', 5);
  await s.close();
  return file;
}

/** The file with a change, and its crc32 made to match again (as only a deliberate edit would). */
function edit(file: string, change: (text: string) => string, reseal: boolean): void {
  const text = change(readFileSync(file, 'utf8'));
  if (!reseal) return writeFileSync(file, text);
  const body = text.slice(0, text.lastIndexOf('\n,"crc32":') + 1);
  writeFileSync(file, `${body},"crc32":${crc32(Buffer.from(body))}}\n`);
}

const projected = (s: Store, fields = ['status', 'code']) => {
  const seen: Record<string, unknown> = {};
  s.project<Record<string, unknown>, string>('orders', fields, (key, record) => (seen[key] = record));
  return seen;
};

describe('records kept unparsed', () => {
  it('give their summary until read, whole after; a field not summarised parses the record', async () => {
    const s = await open(await threeOrders());
    expect(projected(s)).toEqual({ A: { status: 'unpaid', code: 'ca' }, B: { status: 'paid', code: 'cb' }, C: { status: 'closed', code: 'cc' } });
    expect(s.get('orders', 'B')).toEqual({ status: 'paid', code: 'cb', body: 'second' });
    expect(projected(s).B).toEqual({ status: 'paid', code: 'cb', body: 'second' });
    expect(projected(s, ['body']).A).toEqual({ status: 'unpaid', code: 'ca', body: 'first' });
    expect(s.get('clock', 'advanced')).toBe(5);
    await s.close();
  });

  it('changes in the journal after the document win over its summaries', async () => {
    const file = await threeOrders();
    const s = await open(file);
    await s.put('orders', 'A', { status: 'paid', code: 'ca', body: 'first' });
    await s.delete('orders', 'C');
    await s.put('orders', 'D', { status: 'unpaid', code: 'cd' });
    // kill -9 now: the document as the last close left it, and the journal.
    const crashed = tempDb();
    for (const f of ['', '.journal']) copyFileSync(file + f, crashed + f);
    const after = await open(crashed);
    expect(projected(after)).toEqual({ A: { status: 'paid', code: 'ca', body: 'first' }, B: { status: 'paid', code: 'cb' }, D: { status: 'unpaid', code: 'cd' } });
    await after.close();
    await s.close();
  });

  it('a document whose summary no longer matches its record (edited by hand) is read whole', async () => {
    const file = await threeOrders();
    edit(file, (t) => t.replace('"status":"unpaid","code":"ca"', '"status":"closed","code":"ca"'), false);
    const s = await open(file);
    expect(projected(s).A).toEqual({ status: 'closed', code: 'ca', body: 'first' });
    await s.close();
    // Rewritten in the layout kept unparsed, with the summary of the record as it now is.
    const read = readUnparsed(file)!;
    const seen: Record<string, unknown> = {};
    read.collections.get('orders')!.project(['status'], (k, r) => (seen[k] = r));
    expect(seen.A).toEqual({ status: 'closed' });
  });

  it('a record found damaged after the start is a clear error, is kept, and the next start refuses the file', async () => {
    const file = await threeOrders();
    edit(file, (t) => t.replace('"body":"second"', '"body":second"'), true);
    const s = await open(file);
    // The summary is read, not the record: the start does not see the damage.
    expect(projected(s).B).toEqual({ status: 'paid', code: 'cb' });
    expect(s.get('orders', 'A')).toEqual({ status: 'unpaid', code: 'ca', body: 'first' });
    for (let i = 0; i < 2; i++) {
      expect(() => s.get('orders', 'B')).toThrow(RecordDamaged);
      expect(() => s.get('orders', 'B')).toThrow(/record "B" of "orders" in .*db\.json \(line 4\) cannot be read: .*; it is kept as it is, and the next start refuses the file until it is repaired \(--repair\) or restored/);
    }
    expect(() => s.values('orders')).toThrow(RecordDamaged);
    await s.put('orders', 'E', { status: 'unpaid', code: 'ce' });
    await s.close();
    // Kept: the damaged bytes are in the rewritten document, which has no crc32 now.
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('"B":{"status":"paid","code":"cb","body":second"}');
    expect(text).not.toContain('"crc32"');
    expect(text).toContain('"E":{');
    await expect(open(file)).rejects.toThrow(/db\.json is a damaged payjs-sandbox database: [\s\S]* at line \d+, column \d+ \(offset \d+\); nothing was changed\. Start with --repair/);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('the layout of earlier versions opens, every record parsed, and is rewritten with summaries', async () => {
    const file = await threeOrders();
    edit(file, (t) => t.replace(/\n\},"summaries":\{[\s\S]*$/, '\n}}\n'), false);
    const s = await open(file);
    expect(projected(s).C).toEqual({ status: 'closed', code: 'cc', body: 'third' });
    await s.close();
    expect(JSON.parse(readFileSync(file, 'utf8')).summaries).toEqual({ orders: { status: ['unpaid', 'paid', 'closed'], code: ['ca', 'cb', 'cc'] } });
    expect(readUnparsed(file)).toBeDefined();
  });
});

describe("the gateway's indexes after a restart, from the summaries", () => {
  it('finds old orders by code, refuses a reused out_trade_no, and still closes unpaid orders at their expiry', async () => {
    const db = tempDb();
    const first = await startSandbox({ db, uniqueOutTradeNo: true });
    const made = await merchantPost(first.url, 'native', { total_fee: 1, out_trade_no: 'RESTART-1', body: 'x' });
    const id = made.payjs_order_id as string;
    const code = new URL(made.code_url as string).searchParams.get('pr')!;
    await first.close();
    expect(readUnparsed(db)).toBeDefined();

    const again = await startSandbox({ db, uniqueOutTradeNo: true });
    try {
      const page = await fetch(`${again.url}/wxpay/bizpayurl?pr=${code}`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain(id);
      expect((await fetch(`${again.url}/wxpay/bizpayurl?pr=nosuchcode00`)).status).toBe(404);
      const dup = await merchantPost(again.url, 'native', { total_fee: 1, out_trade_no: 'RESTART-1', body: 'x' });
      expect(dup).toMatchObject({ return_code: 0 });
      expect(dup.msg).toMatch(/out_trade_no/);
      // Two hours and a minute later by the sandbox clock: the expiry sweep closes it unread.
      await again.clock.advance(121 * 60);
    } finally {
      await again.close();
    }
    const doc = JSON.parse(readFileSync(db, 'utf8'));
    expect(doc.collections.orders[id].status).toBe('closed');
  });
});
