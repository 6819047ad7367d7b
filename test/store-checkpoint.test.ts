/** The document as the store writes it in slices, and as it reads it back line by line: the
 * same records as JSON.parse reads from the same bytes, and anything else left to JSON.parse. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCheckpoint, writeCheckpoint } from '../src/store/checkpoint.js';

const dir = mkdtempSync(join(tmpdir(), 'payjs-checkpoint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const asMaps = (doc: { collections: Record<string, Record<string, unknown>> }) =>
  new Map(Object.entries(doc.collections).map(([c, records]) => [c, new Map(Object.entries(records))]));

const collections = new Map<string, Map<string, unknown>>([
  ['orders', new Map<string, unknown>([['2026A', { status: 'paid', body: '测试订单', history: [{ event: 'pay' }] }], ['2026B', { note: 'a "quoted":{ line,\nwith a newline' }]])],
  ['empty', new Map()],
  ['clock', new Map<string, unknown>([['advanced', 5000], ['we"ird\\key', null]])],
]);

async function written(): Promise<Buffer> {
  const file = join(dir, 'db.json');
  expect(await writeCheckpoint(file, 42, [...collections], { sliceBytes: 16 })).toBe(true);
  return readFileSync(file);
}

describe('the document written in slices', () => {
  it('is one JSON document with seq and every record, read back line by line the same', async () => {
    const buf = await written();
    const doc = JSON.parse(buf.toString('utf8'));
    expect(doc.version).toBe(1);
    expect(doc.seq).toBe(42);
    expect(asMaps(doc)).toEqual(collections);
    expect(readCheckpoint(join(dir, 'db.json'))).toEqual({ seq: 42, collections });
  });

  it.each([
    ['a version-1 document in one line', (t: string) => JSON.stringify(JSON.parse(t))],
    ['a truncated one', (t: string) => t.slice(0, t.length - 10)],
    ['a missing comma between records', (t: string) => t.replace('},\n"2026B"', '}\n"2026B"')],
    ['a trailing comma before a closing brace', (t: string) => t.replace('}\n},', '},\n},')],
    ['a doubled comma', (t: string) => t.replace('5000,\n', '5000,,\n')],
    ['a damaged record', (t: string) => t.replace('"status":"paid"', '"status":paid"')],
    ['something after the end', (t: string) => `${t}x`],
    ['another version', (t: string) => t.replace('"version":1', '"version":2')],
  ])('%s is left to JSON.parse', async (_, change) => {
    const text = change((await written()).toString('utf8'));
    writeFileSync(join(dir, 'changed.json'), text);
    expect(readCheckpoint(join(dir, 'changed.json'))).toBeUndefined();
  });

  it('reads lines longer than the chunks it reads the file in', async () => {
    const file = join(dir, 'long.json');
    const long = new Map<string, Map<string, unknown>>([['orders', new Map(Array.from({ length: 6 }, (_, i) => [`k${i}`, { body: 'x'.repeat(300_000 * (i + 1)) }]))]]);
    await writeCheckpoint(file, 7, [...long]);
    expect(readCheckpoint(file)).toEqual({ seq: 7, collections: long });
  });

  it('no collections at all reads as none', async () => {
    const file = join(dir, 'none.json');
    await writeCheckpoint(file, 0, []);
    const buf = readFileSync(file);
    expect(JSON.parse(buf.toString())).toEqual({ version: 1, seq: 0, collections: {} });
    expect(readCheckpoint(file)).toEqual({ seq: 0, collections: new Map() });
  });
});
