import type { CallFilter, RecordedCall } from '../app/call-log.js';

/** Anything with a call log: the in-process Sandbox (answers at once) or the client (a promise). */
export interface HasCallLog {
  calls(filter?: CallFilter): RecordedCall[] | Promise<RecordedCall[]>;
}

/** @deprecated the old name of HasCallLog. */
export type HasJournal = HasCallLog;

/** A call-log assertion that failed; the message lists the calls. */
export class SandboxAssertionError extends Error {
  /** The calls the assertion looked at. */
  readonly calls: RecordedCall[];
  constructor(message: string, calls: RecordedCall[]) {
    super(message);
    this.name = 'SandboxAssertionError';
    this.calls = calls;
  }
}

const SHOWN = 20;
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}…` : s);

/** One call in two or three lines: time, method, path, transport, sign verdict, refusal, status;
 * its parameters; the cause of a bad sign. */
export function formatCall(c: RecordedCall): string {
  const refused = c.error ? ` — refused ${c.error}` : '';
  const lines = [
    `#${c.id} ${new Date(c.at).toISOString()} ${c.method} ${c.path} (${c.transport}) — sign ${c.sign}${refused} → HTTP ${c.status}`,
    `   params: ${clip(JSON.stringify(c.params), 300)}`,
  ];
  if (c.diagnosis) lines.push(`   cause: ${c.diagnosis.cause}; the sandbox signed "${clip(c.diagnosis.canonical, 200)}" and expected ${c.diagnosis.expected}`);
  return lines.join('\n');
}

/** The calls, newest last, the most recent 20 shown. */
export function formatCalls(calls: RecordedCall[]): string {
  if (calls.length === 0) return '  (none)';
  const hidden = calls.length > SHOWN ? [`  (${calls.length - SHOWN} earlier calls not shown)`] : [];
  return [...hidden, ...calls.slice(-SHOWN).map((c) => formatCall(c).replace(/^/gm, '  '))].join('\n');
}

const describeFilter = (filter: CallFilter) => {
  const fields = Object.entries(filter).filter(([, v]) => v !== undefined);
  return fields.length ? `matching ${fields.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}` : '';
};
const plural = (n: number) => `${n} call${n === 1 ? '' : 's'}`;

/**
 * Asserts the merchant made calls matching `filter` (endpoint, mchid, payjs_order_id,
 * out_trade_no, sign): exactly `times` of them, or at least one when `times` is left out.
 * Resolves with the matching calls; fails listing them, or the whole call log when none matched.
 *
 *   await assertCalled(sandbox, { endpoint: 'check', payjs_order_id }, 1);
 */
export async function assertCalled(sandbox: HasCallLog, filter: CallFilter, times?: number): Promise<RecordedCall[]> {
  const calls = await sandbox.calls(filter);
  const ok = times === undefined ? calls.length > 0 : calls.length === times;
  if (ok) return calls;
  const wanted = times === undefined ? 'at least 1 call' : `${plural(times)}`;
  const what = `expected ${wanted} ${describeFilter(filter)}`.trim();
  if (calls.length === 0) {
    const all = await sandbox.calls();
    throw new SandboxAssertionError(`${what}, got none; the call log has ${plural(all.length)}:\n${formatCalls(all)}`, all);
  }
  throw new SandboxAssertionError(`${what}, got ${calls.length}:\n${formatCalls(calls)}`, calls);
}

/** Asserts no call matched `filter`; fails listing those that did. */
export async function assertNotCalled(sandbox: HasCallLog, filter: CallFilter): Promise<void> {
  await assertCalled(sandbox, filter, 0);
}

/**
 * Asserts that no call (matching `filter`, if given) had a bad signature: none `invalid`, none
 * `missing`. Fails listing them, each with the sandbox's diagnosis of the mistake.
 */
export async function assertNoBadSignatures(sandbox: HasCallLog, filter: Omit<CallFilter, 'sign'> = {}): Promise<void> {
  const calls = await sandbox.calls(filter);
  const bad = calls.filter((c) => c.sign === 'invalid' || c.sign === 'missing');
  if (bad.length === 0) return;
  const scope = describeFilter(filter);
  throw new SandboxAssertionError(`expected no call with a bad signature${scope ? ` ${scope}` : ''}, got ${bad.length} of ${plural(calls.length)}:\n${formatCalls(bad)}`, bad);
}
