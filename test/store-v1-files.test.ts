/** A database left by the store as it was before the document was written in slices (version 1:
 * a lowdb document written in one JSON.stringify, plus the journal of a process killed with -9,
 * both in test/fixtures/store-v1, made by main at 27338af) opens with every order in it, and is
 * written back as a version-1 document that the old reader takes as it is (JSON.parse; it ignores
 * the summaries and crc32 the store now adds, with which the next start keeps records unparsed). */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../src/index.js';
import { readUnparsed } from '../src/store/checkpoint.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/store-v1/', import.meta.url));
/** The fixture's orders: four written into the document, two (paid, refunded) only in the journal. */
const IDS = {
  paid: '2026120207453100640174592',
  refunded: '2026120207453100635562742',
  closed: '2026120207453100959751832',
  unpaid: '2026120207453100314011614',
  jpaid: '2026120207453100984814803',
  jrefunded: '2026120207453100430155455',
};

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('a version-1 database', () => {
  it('opens with every order of its document and its journal, and is written back readable as before', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'payjs-v1-'));
    dirs.push(dir);
    const db = join(dir, 'db.json');
    for (const f of ['db.json', 'db.json.journal']) copyFileSync(join(FIXTURE, f), join(dir, f));
    const s = await startSandbox({ db });
    const got = async (id: string) => {
      const o = await s.order(id);
      return o && { status: o.status, out_trade_no: o.out_trade_no, total_fee: o.total_fee, events: o.history.map((h) => h.event) };
    };
    expect(await got(IDS.paid)).toEqual({ status: 'paid', out_trade_no: 'V1paid', total_fee: 101, events: ['create', 'pay'] });
    expect(await got(IDS.refunded)).toEqual({ status: 'refunded', out_trade_no: 'V1refunded', total_fee: 101, events: ['create', 'pay', 'refund'] });
    expect(await got(IDS.closed)).toEqual({ status: 'closed', out_trade_no: 'V1closed', total_fee: 101, events: ['create', 'close'] });
    expect(await got(IDS.jpaid)).toEqual({ status: 'paid', out_trade_no: 'V1jpaid', total_fee: 102, events: ['create', 'pay'] });
    expect(await got(IDS.jrefunded)).toEqual({ status: 'refunded', out_trade_no: 'V1jrefunded', total_fee: 102, events: ['create', 'pay', 'refund'] });
    // Its two hours may be over by the sandbox clock when this runs: then it is closed by expiry.
    expect(['unpaid', 'closed']).toContain((await got(IDS.unpaid))?.status);
    expect((await s.order(IDS.paid))?.body).toBe('测试订单');
    await s.close();

    expect(statSync(`${db}.journal`).size).toBe(0);
    const doc = JSON.parse(readFileSync(db, 'utf8'));
    expect(doc.version).toBe(1);
    expect(readFileSync(db, 'utf8').startsWith('{"version":1,"seq":')).toBe(true);
    expect(Object.keys(doc.collections.orders).sort()).toEqual(Object.values(IDS).sort());
    expect(doc.collections.orders[IDS.jrefunded].status).toBe('refunded');
    // Written back with the orders' summaries and a crc32: the next start keeps them unparsed.
    expect(doc.summaries.orders.code).toHaveLength(6);
    expect(doc.summaries.orders.status[Object.keys(doc.collections.orders).indexOf(IDS.jrefunded)]).toBe('refunded');
    expect(readUnparsed(db)?.collections.get('orders')?.size).toBe(6);
  });
});
