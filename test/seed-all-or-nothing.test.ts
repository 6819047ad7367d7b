/** A seed is all or nothing, merchants included: a refused seed leaves no merchant and no order
 * behind, in memory or in the file, whether the refusal comes from the dry run or from a create
 * that fails half-way. */
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../src/index.js';
import { tempDb } from './support.js';

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

const NEW_MERCHANT = { mchid: '3000000003', key: 'SeedKey0000000000003' };

async function postSeed(s: Sandbox, seed: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${s.url}/__sandbox/seed`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(seed) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const merchantIds = async (s: Sandbox) => ((await (await fetch(`${s.url}/__sandbox/merchants`)).json()) as { merchants: { mchid: string }[] }).merchants.map((m) => m.mchid);

describe('a refused seed', () => {
  it('an invalid order refuses the whole seed: its new merchant is not added, in memory or after a restart', async () => {
    const db = tempDb();
    sandbox = await startSandbox({ db });
    const r = await postSeed(sandbox, {
      merchants: [NEW_MERCHANT],
      orders: [
        { mchid: NEW_MERCHANT.mchid, out_trade_no: 'SEED-OK', total_fee: 100, body: 'fine' },
        // Passes the seed's own checks; the API refuses it (out_trade_no is at most 32 characters).
        { mchid: NEW_MERCHANT.mchid, out_trade_no: 'X'.repeat(80), total_fee: 100, body: 'too long a number' },
      ],
    });
    expect(r.status).toBe(400);
    expect(await merchantIds(sandbox)).not.toContain(NEW_MERCHANT.mchid);
    expect(sandbox.orders()).toEqual([]);
    await sandbox.close();
    sandbox = await startSandbox({ db });
    expect(await merchantIds(sandbox)).not.toContain(NEW_MERCHANT.mchid);
    expect(sandbox.orders()).toEqual([]);
  });

  it('a create refused half-way (a reused out_trade_no under uniqueOutTradeNo) takes back the orders already made and the merchant', async () => {
    sandbox = await startSandbox({ uniqueOutTradeNo: true });
    const r = await postSeed(sandbox, {
      merchants: [NEW_MERCHANT],
      orders: [
        { mchid: NEW_MERCHANT.mchid, out_trade_no: 'SEED-1', total_fee: 100, status: 'paid' },
        { mchid: NEW_MERCHANT.mchid, out_trade_no: 'SEED-1', total_fee: 200 },
      ],
    });
    expect(r.status).toBe(409);
    expect(r.body.message).toContain('SEED-1');
    expect(sandbox.orders()).toEqual([]);
    expect(await merchantIds(sandbox)).not.toContain(NEW_MERCHANT.mchid);
    // Nothing of it is left in the way: the same seed without the duplicate goes in whole.
    const ok = await postSeed(sandbox, { merchants: [NEW_MERCHANT], orders: [{ mchid: NEW_MERCHANT.mchid, out_trade_no: 'SEED-1', total_fee: 100 }] });
    expect(ok.status).toBe(201);
    expect(sandbox.orders()).toHaveLength(1);
  });
});
