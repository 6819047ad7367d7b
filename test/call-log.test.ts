/** The call log's ring of columns against the plain list it replaces: every call it keeps comes
 * back as it was added, in order, through growth, wrap-around, filters and clears. */
import { describe, expect, it } from 'vitest';
import { CallLog, type CallFilter, type RecordedCall } from '../src/app/call-log.js';

const MCHIDS = ['1000000001', '2000000002', undefined];
function call(i: number): RecordedCall {
  const mchid = MCHIDS[i % 3];
  return {
    id: 0,
    at: 1_700_000_000_000 + i * 1.5,
    method: i % 4 ? 'POST' : 'GET',
    path: `/api/${i % 5 ? 'native' : 'check'}`,
    endpoint: i % 5 ? 'native' : 'check',
    transport: i % 2 ? 'form' : 'json',
    ...(i % 7 ? { via: 'direct' as const, host: i % 11 ? '127.0.0.1' : 'payjs.cn' } : {}),
    params: { mchid, n: i, body: '商品 ✓ 𝄞'.repeat(i % 4), big: i % 13 ? undefined : 'x'.repeat(300_000) },
    mchid,
    payjs_order_id: i % 6 ? `2024${String(i).padStart(8, '0')}` : undefined,
    out_trade_no: i % 5 ? `单号-${i}-𝄞` : undefined,
    sign: i % 9 ? 'valid' : 'invalid',
    ...(i % 9 ? {} : { diagnosis: { canonical: `a=${i}`, expected: 'E', cause: 'key' } as never, error: 'SIGN_ERROR' as never }),
    status: 200,
    answer: { return_code: i % 9 ? 1 : 0, n: i },
    ...(i % 8 ? {} : { scenario: [`api=delay:${i}`] }),
    ms: (i % 100) / 7,
  };
}
/** A call as the log gives it back: JSON's view (undefined fields gone), ms to hundredths. */
const shown = (c: RecordedCall) => JSON.parse(JSON.stringify({ ...c, ms: Math.round(c.ms * 100) / 100 }));
const FILTERS: CallFilter[] = [{}, { mchid: '1000000001' }, { endpoint: 'check' }, { sign: 'invalid' }, { via: 'direct' }, { host: 'payjs.cn' }, { payjs_order_id: '202400000007' }, { out_trade_no: '单号-8-𝄞' }, { out_trade_no: '单号-8' }, { mchid: '2000000002', endpoint: 'native' }];

function check(log: CallLog, kept: RecordedCall[]) {
  for (const f of FILTERS) {
    const want = kept.filter((c) => Object.entries(f).every(([k, v]) => c[k as keyof RecordedCall] === v)).map(shown);
    expect(log.list(f).map((c) => JSON.parse(JSON.stringify(c)))).toEqual(want);
    expect(log.count(f)).toBe(want.length);
    expect(log.list(f, 3).map((c) => JSON.parse(JSON.stringify(c)))).toEqual(want.slice(-3));
  }
}

describe('the call log', () => {
  it.each([1, 7, 16, 100, 10_000])('keeps the newest %i calls, as added, through growth and wrap-around', (limit) => {
    const log = new CallLog(limit);
    const added: RecordedCall[] = [];
    for (let i = 0; i < 260; i++) {
      const c = call(i);
      added.push(structuredClone(log.add(c)));
      if (i % 37 === 0 || i === 259) check(log, added.slice(-limit));
    }
    expect(added.map((c) => c.id)).toEqual(added.map((_, i) => i + 1));
  });

  it('gives the fields in the order they are shown, undefined ones present where a RecordedCall has them', () => {
    const log = new CallLog();
    log.add(call(1));
    expect(Object.keys(log.list()[0])).toEqual(['id', 'at', 'method', 'path', 'endpoint', 'transport', 'via', 'host', 'params', 'mchid', 'payjs_order_id', 'out_trade_no', 'sign', 'status', 'answer', 'ms']);
    log.add(call(0));
    expect(Object.keys(log.list()[1])).toEqual(['id', 'at', 'method', 'path', 'endpoint', 'transport', 'params', 'mchid', 'payjs_order_id', 'out_trade_no', 'sign', 'diagnosis', 'error', 'status', 'answer', 'scenario', 'ms']);
    expect(log.list()[1]).toMatchObject({ payjs_order_id: undefined, out_trade_no: undefined });
  });

  it('clears one merchant\'s calls and keeps the others in order, then goes on adding', () => {
    const log = new CallLog(50);
    const added: RecordedCall[] = [];
    for (let i = 0; i < 120; i++) added.push(structuredClone(log.add(call(i))));
    log.clear({ mchid: '1000000001' });
    let kept = added.slice(-50).filter((c) => c.mchid !== '1000000001');
    check(log, kept);
    for (let i = 120; i < 200; i++) added.push(structuredClone(log.add(call(i))));
    kept = [...kept, ...added.slice(120)].slice(-50);
    check(log, kept);
    log.clear();
    check(log, []);
    log.add(call(3));
    expect(log.list()).toHaveLength(1);
  });

  it('matches no call on a field it is not queried by, and keeps nothing with a limit of 0', () => {
    const log = new CallLog(0);
    const c = log.add(call(1));
    expect(c.id).toBe(1);
    expect(log.list()).toEqual([]);
    const other = new CallLog();
    other.add(call(1));
    expect(other.list({ status: 200 } as CallFilter)).toEqual([]);
  });

  it('lets the memory of the calls it dropped go: the chunks held stay few', () => {
    const log = new CallLog(10);
    for (let i = 0; i < 5_000; i++) log.add({ ...call(i), params: { blob: 'y'.repeat(10_000) } });
    // 5,000 × 10 KB went through; 10 calls of ~10 KB fit in one or two chunks of 256 KiB.
    const chunks = (log as unknown as { texts: { kept: Buffer[] } }).texts.kept;
    expect(chunks.length).toBeLessThanOrEqual(2);
    expect(log.list()).toHaveLength(10);
  });
});
