/** Scenario rule ids go on from the highest kept one after a restart: a counter that began at 0
 * again would hand out s1 to a new rule and overwrite the persisted s1. */
import { afterEach, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../src/index.js';
import { tempDb } from './support.js';

let sandbox: Sandbox | undefined;
afterEach(() => sandbox?.close());

it('a rule added after a restart gets a new id and the persisted rules stay as they were', async () => {
  const db = tempDb();
  sandbox = await startSandbox({ db });
  const first = await sandbox.use({ match: { out_trade_no: 'A-*' }, tokens: 'pay=fail' });
  const second = await sandbox.use({ match: { out_trade_no: 'B-*' }, tokens: 'pay=cancel' });
  await sandbox.close();

  sandbox = await startSandbox({ db });
  const third = await sandbox.use({ match: { out_trade_no: 'C-*' }, tokens: 'notify=never' });
  expect([first.id, second.id]).not.toContain(third.id);
  const rules = (await (await fetch(`${sandbox.url}/__sandbox/scenarios`)).json()) as { scenarios: { id: string; match: { out_trade_no?: string } }[] };
  expect(rules.scenarios.map((r) => [r.id, r.match.out_trade_no])).toEqual([
    [first.id, 'A-*'],
    [second.id, 'B-*'],
    [third.id, 'C-*'],
  ]);
});
