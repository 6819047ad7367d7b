/** A database on a disk that fills up: a change whose journal write fails is refused with a
 * clear answer and leaves nothing behind in memory, the server stays up, and once space is back
 * it takes changes again and a restart finds exactly what was acknowledged. A real 64 KiB tmpfs
 * mounted for the test (needs root; the test is skipped, saying why, where mounting is not allowed). */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxClock, startSandbox, type Sandbox } from '../src/index.js';
import { openStore } from '../src/store/store.js';
import { startReceiver } from './receiver.js';
import { MCHID, call, tradeNo } from './support.js';

const mountPoint = mkdtempSync(join(tmpdir(), 'payjs-full-'));
const mounted = (() => {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mountPoint], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!mounted) console.warn(`disk-full.test.ts: skipped: mount -t tmpfs -o size=64k failed here (not root, or no CAP_SYS_ADMIN)`);

const filler = join(mountPoint, 'filler');
/** Fills every free byte of the tmpfs. */
function fillDisk(): void {
  for (const size of [1 << 16, 1 << 12, 1 << 9, 64, 1]) {
    try {
      for (;;) writeFileSync(filler, Buffer.alloc(size), { flag: 'a' });
    } catch {
      /* full at this granularity: go finer */
    }
  }
}

let sandbox: Sandbox | undefined;
beforeAll(() => {
  if (!mounted) rmSync(mountPoint, { recursive: true, force: true });
});
afterAll(async () => {
  rmSync(filler, { force: true }); // space back, so that close() can write the document
  await sandbox?.close().catch(() => {});
  if (mounted) execFileSync('umount', ['-l', mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

const create = (s: Sandbox, out_trade_no = tradeNo()) => call(s.url, 'native', { mchid: MCHID, total_fee: 100, out_trade_no, body: 'full disk' });

describe.skipIf(!mounted)('a database on a full disk', () => {
  it('refuses the change with STORAGE_FAILED, keeps nothing of it, stays up, and recovers once space is back', async () => {
    const db = join(mountPoint, 'db.json');
    sandbox = await startSandbox({ db });
    const before = await create(sandbox);
    expect(before.body.return_code).toBe(1);
    const unpaid = before.body.payjs_order_id as string;
    fillDisk();

    // The journal's last page may still take a line or two: create until a write fails.
    const acknowledged = [unpaid];
    let refused: { out_trade_no: string; msg: string } | undefined;
    for (let i = 0; i < 50 && !refused; i++) {
      const no = tradeNo();
      const a = await create(sandbox, no);
      expect(a.status).toBe(200);
      if (a.body.return_code === 1) acknowledged.push(a.body.payjs_order_id as string);
      else refused = { out_trade_no: no, msg: String(a.body.return_msg) };
    }
    expect(refused?.msg).toMatch(/存储失败 \(the sandbox could not record the change: ENOSPC/);
    expect(sandbox.orders({}).map((o) => o.out_trade_no)).not.toContain(refused!.out_trade_no);

    // Paying while full is refused too, and the order still answers unpaid afterwards.
    const pay = await fetch(`${sandbox.url}/__sandbox/orders/${unpaid}/pay`, { method: 'POST' });
    expect(pay.status).toBe(500);
    expect(await pay.json()).toMatchObject({ error: 'STORAGE_FAILED', message: expect.stringContaining('ENOSPC') });
    const check = await call(sandbox.url, 'check', { payjs_order_id: unpaid });
    expect(check.body).toMatchObject({ return_code: 1, status: 0 });
    const scenario = await fetch(`${sandbox.url}/__sandbox/scenarios`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"tokens":"pay=fail"}' });
    expect(await scenario.json()).toMatchObject({ error: 'STORAGE_FAILED' });
    expect(sandbox.orders()).toHaveLength(acknowledged.length);

    unlinkSync(filler);
    const after = await create(sandbox);
    expect(after.body.return_code).toBe(1);
    acknowledged.push(after.body.payjs_order_id as string);
    expect((await fetch(`${sandbox.url}/__sandbox/orders/${unpaid}/pay`, { method: 'POST' })).status).toBe(200);

    await sandbox.close();
    sandbox = await startSandbox({ db });
    expect(sandbox.orders().map((o) => o.payjs_order_id).sort()).toEqual([...acknowledged].sort());
    expect((await sandbox.order(unpaid))?.status).toBe('paid');
    expect(sandbox.orders().map((o) => o.out_trade_no)).not.toContain(refused!.out_trade_no);
  });

  it('a batch whose journal line fails takes back every change of it: puts, a new key and a delete', async () => {
    const file = join(mountPoint, 'batch.json');
    const store = await openStore({ file });
    try {
      await store.put('c', 'kept', { v: 1 });
      await store.put('c', 'gone', { v: 2 });
      fillDisk();
      // The journal's last page may take a line or two: batch until a write fails. Each try
      // first puts `gone` back (alone), so that the batch that fails finds both records there.
      let failed: { i: number; err: unknown } | undefined;
      let kept: unknown = { v: 1 };
      for (let i = 0; i < 200 && !failed; i++) {
        if (i > 0) await store.batch([{ c: 'c', k: 'gone', v: { v: 2 } }]).catch(() => undefined);
        if (store.get('c', 'gone') === undefined) continue; // that line did not fit: try again
        const value = { v: 10 + i, pad: 'x'.repeat(500) };
        await store.batch([{ c: 'c', k: 'kept', v: value }, { c: 'c', k: `new${i}`, v: { v: i } }, { c: 'c', k: 'gone', v: undefined }]).then(
          () => (kept = value),
          (err: unknown) => (failed = { i, err }),
        );
      }
      expect(String(failed?.err)).toMatch(/ENOSPC/);
      // None of the failed batch is visible: the put taken back, the new key gone, the delete undone.
      expect(store.get('c', 'kept')).toEqual(kept);
      expect(store.get('c', `new${failed!.i}`)).toBeUndefined();
      expect(store.get('c', 'gone')).toEqual({ v: 2 });
      const acknowledged = store.snapshot().c;
      unlinkSync(filler);
      await store.close();
      const reopened = await openStore({ file });
      expect(reopened.snapshot().c).toEqual(acknowledged);
      await reopened.close();
    } finally {
      rmSync(filler, { force: true });
    }
  });

  it('a re-arm of the notify refused for the full disk leaves the ladder it would have replaced climbing', async () => {
    await sandbox?.close();
    const receiver = await startReceiver();
    receiver.reply({ status: 500, body: 'fail' }); // never delivered: the ladder climbs
    try {
      sandbox = await startSandbox({ db: join(mountPoint, 'rearm.json'), clock: new SandboxClock({ start: Date.UTC(2024, 0, 1, 4), frozen: true }) });
      const created = await call(sandbox.url, 'native', { mchid: MCHID, total_fee: 100, out_trade_no: tradeNo(), body: 'full disk', notify_url: receiver.url });
      const id = created.body.payjs_order_id as string;
      await sandbox.pay(id);
      await sandbox.clock.settle();
      expect(sandbox.notifications(id)).toHaveLength(1);
      fillDisk();
      // The journal's last page may still have room for a line or two: short lines (a rule that
      // matches no merchant) until one is refused, so that the re-arm's longer line finds none.
      let refused = false;
      for (let i = 0; i < 100 && !refused; i++) refused = (await fetch(`${sandbox.url}/__sandbox/scenarios`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"match":{"mchid":"nobody"},"tokens":"pay=fail"}' })).status !== 201;
      expect(refused).toBe(true);
      const rearm = await fetch(`${sandbox.url}/__sandbox/orders/${id}/scenario`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"tokens":"notify=late:60"}' });
      expect(await rearm.json()).toMatchObject({ error: 'STORAGE_FAILED' });
      unlinkSync(filler);
      // The old ladder's second rung, at +15 s, as if nothing had been asked.
      await sandbox.clock.advance(15);
      expect(sandbox.notifications(id).map((a) => (a.at - sandbox!.notifications(id)[0].at) / 1000)).toEqual([0, 15]);
    } finally {
      rmSync(filler, { force: true });
      await receiver.close();
    }
  });
});
