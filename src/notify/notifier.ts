import type { SandboxClock } from '../clock/clock.js';
import type { Store } from '../store/store.js';
import type { Merchants } from '../core/merchant.js';
import type { Order } from '../core/order.js';
import { dueAt, encodeBody, notifyFields, signNotify, type NotifyAttempt, type NotifyJob } from '../core/notify.js';
import { find, parseTokens, type Subject, type Token } from '../core/scenarios.js';
import { createHttpTransport, type NotifyTransport } from './transport.js';
import { ATTEMPTS, JOBS, attemptKey, attemptsOf, removal, type JobRecord } from './notify-records.js';
import type { Change } from '../store/store.js';

/** The clock tasks of a job are tagged with this owner, to cancel them with the job. */
const TASK_PREFIX = 'notify:';
const taskOwner = (payjsOrderId: string) => `${TASK_PREFIX}${payjsOrderId}`;
/** The kinds of a rung's attempts without notify=duplicate. */
const LADDER = ['ladder'] as const;

/** An attempt with the order it belongs to, as tests and the control API see it. */
export interface NotifyEvent extends NotifyAttempt {
  payjs_order_id: string;
  out_trade_no: string;
  mchid: string;
}

export type NotifyPredicate = (event: NotifyEvent) => boolean;

/** What attempts that used `lost` of the order's notify=fail:<n> take off the job. */
const spend = (job: JobRecord, lost: number): Partial<JobRecord> => (lost > 0 && job.failing ? { failing: Math.max(0, job.failing - lost) } : {});

/** An attempt made, before record() numbers it (in place: `attempt` is 0 until then, and stays
 * the first name, as every attempt shows it). */
type Sent = NotifyAttempt;

/** What the notifier holds of the job it last stored for an order: the ladder that job belongs
 * to, and its body once encoded (the same for every attempt of the ladder). */
interface Held {
  job: JobRecord;
  /** The job of the same ladder before `job`: the store puts it back if writing `job` fails. */
  was?: JobRecord;
  ladder: symbol;
  body?: { fields: JobRecord['fields']; text: string };
  /** Jobs this order's saves replaced, with their ladder, while those saves are not yet written:
   * a failed write puts one of them back (two saves of one batch, or a refused re-arm, whose old
   * job is of another ladder), and its ladder must go on. Dropped once the save is written. */
  replaced?: { job: JobRecord; ladder: symbol; save: number }[];
}

export interface NotifierOptions {
  store: Store;
  clock: SandboxClock;
  merchants: Merchants;
  /** The scenario rules: each attempt takes the tokens of the rules that match it (the app's
   * ScenarioBook); with no rule for notifies there is nothing to look up. */
  scenarios: { take(subject: Subject): Token[]; hasRulesFor(endpoint: string): boolean };
  /** How a notify travels; undici's keep-alive pool by default. */
  transport?: NotifyTransport;
  /** How long the default transport waits for the merchant's answer (default 3000 ms, §14). */
  timeoutMs?: number;
  /** Hosts notifies may reach (`host`, `host:port`, `*.domain`); empty: any. */
  allowHosts?: readonly string[];
}

/**
 * Delivers PAYJS's payment notify (docs/protocol.md §14): a signed form POST to the order's
 * notify_url at 0, 15, 30, 180, 1800 and 3600 s after the payment on the sandbox clock, until an
 * HTTP 200, a successful check of the order, or the end of the ladder. Jobs and their attempts are
 * kept in the store (notify-records.ts), so after a restart the ladder resumes where it was.
 */
export class Notifier {
  private readonly store: Store;
  private readonly clock: SandboxClock;
  private readonly transport: NotifyTransport;
  private readonly ownTransport?: { close(): Promise<void> };
  private readonly listeners = new Set<(e: NotifyEvent) => void>();
  /** Waiters for one order's attempts: an attempt wakes only its order's waiters, so 10,000
   * concurrent waitForNotify calls are not 10,000 predicates per attempt. */
  private readonly waiters = new Map<string, Set<(e: NotifyEvent) => void>>();
  /** Orders whose ladder attempt is in flight: a rung set twice (after a restore) runs once. */
  private readonly running = new Set<string>();
  /** Orders whose rung fell due while an attempt of theirs was in flight (of a ladder that tokens
   * re-armed, or that a restore replaced): it runs when that attempt ends. */
  private readonly deferred = new Set<string>();
  /** The ladder of each stored job, by order. A job is never changed in place: each change is a
   * new object of the same ladder. A reset removes the job and a restore puts other objects
   * there, so an attempt that ends after either finds its ladder gone and records nothing. (A
   * Map by order rather than a WeakMap by job: 10,000 weak entries made every GC slower.) */
  private readonly held = new Map<string, Held>();
  /** Numbers the saves, for `Held.replaced`. */
  private saves = 0;

  constructor(private readonly options: NotifierOptions) {
    this.store = options.store;
    this.clock = options.clock;
    if (options.transport) this.transport = options.transport;
    else this.transport = this.ownTransport = createHttpTransport(options.timeoutMs, options.allowHosts);
    this.reschedule();
  }

  /** An order became paid: start its ladder (no notify_url or `notify=never`: nothing). */
  async paid(order: Order, tokens: Token[]): Promise<void> {
    if (!order.notify_url || find(tokens, 'notify=never')) return;
    const job = this.arm(order, tokens, order.paid_at ?? this.clock.now());
    await this.save(job, Symbol(job.payjs_order_id));
    this.schedule(job);
  }

  /**
   * Tokens applied to a paid order "from now on" (`POST /__sandbox/orders/{id}/scenario`): the
   * ladder starts again from its first rung now (later with `notify=late`), shaped by `tokens`,
   * the attempts so far kept; `notify=never` stops it. It is a new ladder: the clock tasks of the
   * old one find nothing to do, and an attempt of it still in flight records nothing. Answers the
   * job, or undefined when the order has no notify_url.
   */
  async rearm(order: Order, tokens: Token[]): Promise<NotifyJob | undefined> {
    if (!order.notify_url) return undefined;
    const old = this.stored(order.payjs_order_id);
    const armed = this.arm(order, tokens, this.clock.now(), (old?.round ?? 0) + 1, old?.attempts);
    const job: JobRecord = find(tokens, 'notify=never') ? { ...armed, state: 'stopped' } : armed;
    await this.save(job, Symbol(job.payjs_order_id));
    if (job.state === 'pending') this.schedule(job);
    return this.job(job.payjs_order_id);
  }

  /** A new ladder for a paid order; `attempts`: those the order has already, which it keeps. */
  private arm(order: Order, tokens: Token[], from: number, round?: number, attempts = 0): JobRecord {
    const key = this.options.merchants.require(order.mchid).key;
    const fail = find(tokens, 'notify=fail');
    return {
      payjs_order_id: order.payjs_order_id,
      out_trade_no: order.out_trade_no,
      mchid: order.mchid,
      url: order.notify_url!,
      base_at: from + (find(tokens, 'notify=late')?.arg ?? 0) * 1000,
      next: 0,
      state: 'pending',
      tokens: tokens.filter((t) => t.group === 'notify').map((t) => t.text),
      fields: notifyFields(order, key, { extraFields: !!find(tokens, 'notify=extra-fields'), forged: !!find(tokens, 'notify=forged') }),
      ...(fail ? { failing: fail.arg ?? 1 } : {}),
      ...(round ? { round } : {}),
      attempts,
    };
  }

  /** A successful check of a paid order stops the retries; the attempt in flight finishes. */
  async checked(order: Order): Promise<void> {
    const job = this.stored(order.payjs_order_id);
    if (!job || job.state !== 'pending') return;
    await this.save({ ...job, state: 'checked' }, this.ladderOf(job));
  }

  /** A later event of a paid order: with `notify=replay`, the first notify arrives once more. */
  async later(order: Order): Promise<void> {
    const job = this.stored(order.payjs_order_id);
    if (!job || !job.tokens.includes('notify=replay') || attemptsOf(this.store, job).some((a) => a.kind === 'replay')) return;
    const ladder = this.ladderOf(job);
    const { sent, lost } = await this.send(job, ['replay'], undefined, []);
    await this.record(job.payjs_order_id, ladder, sent, (now) => spend(now, lost));
  }

  /** Sends the notify of an order once more, now (the dashboard's resend). */
  async resend(payjsOrderId: string): Promise<NotifyEvent | undefined> {
    const job = this.stored(payjsOrderId);
    if (!job) return undefined;
    const ladder = this.ladderOf(job);
    const { sent, lost } = await this.send(job, ['manual'], undefined, []);
    const events = await this.record(payjsOrderId, ladder, sent, (now) => ({ ...spend(now, lost), ...(sent[0].delivered && now.state === 'pending' ? { state: 'delivered' as const } : {}) }));
    return events?.[0];
  }

  /** The notify of an order with its attempts, as the control API shows it. */
  job(payjsOrderId: string): NotifyJob | undefined {
    const job = this.stored(payjsOrderId);
    return job && { ...job, attempts: attemptsOf(this.store, job) };
  }

  /** The notify state of an order, without its attempts (a list's filter asks it per order). */
  state(payjsOrderId: string): NotifyJob['state'] | undefined {
    return this.stored(payjsOrderId)?.state;
  }

  /** Every attempt, oldest first, optionally of one order (found by its id, not by a scan). */
  attempts(payjsOrderId?: string): NotifyEvent[] {
    const jobs = payjsOrderId ? [this.stored(payjsOrderId)].filter((j): j is JobRecord => !!j) : this.store.values<JobRecord>(JOBS);
    const events: NotifyEvent[] = [];
    for (const j of jobs) for (const a of attemptsOf(this.store, j)) events.push(this.event(j, a));
    return events.sort((a, b) => a.at - b.at || a.attempt - b.attempt);
  }

  private stored(payjsOrderId: string): JobRecord | undefined {
    return this.store.get<JobRecord>(JOBS, payjsOrderId);
  }

  /** Resolves with the first attempt, past or future, that satisfies `predicate`; with
   * `payjsOrderId`, the predicate is asked only about that order's attempts. */
  waitFor(predicate: NotifyPredicate, timeoutMs: number, payjsOrderId?: string): Promise<NotifyEvent> {
    const seen = this.attempts(payjsOrderId).find(predicate);
    if (seen) return Promise.resolve(seen);
    const listeners = payjsOrderId === undefined ? this.listeners : this.waitersOf(payjsOrderId);
    return new Promise((resolve, reject) => {
      const listener = (e: NotifyEvent) => {
        if (!predicate(e)) return;
        cleanup();
        resolve(e);
      };
      const timer = setTimeout(() => {
        cleanup();
        const recent = this.attempts().slice(-5).map((a) => `#${a.attempt} ${a.payjs_order_id} → ${a.status ?? a.error}`).join('; ');
        reject(new Error(`waitForNotify: no matching notify within ${timeoutMs} ms (last attempts: ${recent || 'none'})`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        listeners.delete(listener);
        if (listeners.size === 0 && payjsOrderId !== undefined && this.waiters.get(payjsOrderId) === listeners) this.waiters.delete(payjsOrderId);
      };
      listeners.add(listener);
    });
  }

  private waitersOf(payjsOrderId: string): Set<(e: NotifyEvent) => void> {
    let set = this.waiters.get(payjsOrderId);
    if (!set) this.waiters.set(payjsOrderId, (set = new Set()));
    return set;
  }

  /** Calls `listener` with every attempt from now on; returns the unsubscribe. */
  onAttempt(listener: (e: NotifyEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Forgets every job, or those of one merchant, and cancels their clock tasks; an attempt in
   * flight finishes unrecorded. */
  async reset(filter: { mchid?: string } = {}): Promise<void> {
    const jobs = this.store.values<JobRecord>(JOBS).filter((j) => !filter.mchid || j.mchid === filter.mchid);
    const done = filter.mchid ? Promise.all(jobs.map((j) => this.store.batch(removal(j)))) : Promise.all([this.store.clear(JOBS), this.store.clear(ATTEMPTS)]);
    const gone = new Set(jobs.map((j) => taskOwner(j.payjs_order_id)));
    this.clock.cancel((owner) => gone.has(owner));
    if (filter.mchid) for (const j of jobs) this.held.delete(j.payjs_order_id);
    else this.held.clear();
    await done;
  }

  /** Forgets the jobs of the given orders (a refused seed's undo). */
  async forget(payjsOrderIds: string[]): Promise<void> {
    const ids = new Set(payjsOrderIds);
    await Promise.all(payjsOrderIds.map((id) => this.stored(id)).filter((j): j is JobRecord => !!j).map((j) => this.store.batch(removal(j))));
    for (const id of ids) this.held.delete(id);
    this.clock.cancel((owner) => ids.has(owner.slice(TASK_PREFIX.length)) && owner.startsWith(TASK_PREFIX));
  }

  /** Sets the clock tasks of pending jobs afresh (after a restore): the old ones are cancelled. */
  reschedule(): void {
    this.clock.cancel((owner) => owner.startsWith(TASK_PREFIX));
    for (const [id, held] of this.held) if (this.stored(id) !== held.job && this.stored(id) !== held.was) this.held.delete(id);
    for (const job of this.store.values<JobRecord>(JOBS)) if (job.state === 'pending') this.schedule(job);
  }

  /** Resolves with the first attempt that matches `predicate`, or null after `timeoutMs`. */
  async waitOrNull(predicate: NotifyPredicate, timeoutMs: number): Promise<NotifyEvent | null> {
    try {
      return await this.waitFor(predicate, timeoutMs);
    } catch {
      return null;
    }
  }

  async close(): Promise<void> {
    await this.ownTransport?.close();
  }

  private schedule(job: JobRecord): void {
    const step = job.next;
    const at = dueAt(job, step);
    // The task runs the rung of the ladder it was set for: once tokens re-arm the order's notify
    // (a new ladder), or a reset or restore replaces the job, it finds nothing to do.
    const ladder = this.ladderOf(job);
    if (at !== null) this.clock.at(at, () => this.runStep(job.payjs_order_id, step, ladder), taskOwner(job.payjs_order_id), { kind: 'notify', payjs_order_id: job.payjs_order_id, step });
  }

  private async runStep(payjsOrderId: string, step: number, ladder: symbol): Promise<void> {
    const job = this.current(payjsOrderId, ladder);
    if (!job || job.state !== 'pending' || job.next !== step) return;
    if (this.running.has(payjsOrderId)) {
      this.deferred.add(payjsOrderId);
      return;
    }
    this.running.add(payjsOrderId);
    let again = false;
    try {
      await this.climb(job, step);
    } finally {
      this.running.delete(payjsOrderId);
      again = this.deferred.delete(payjsOrderId);
    }
    // The next rung of this ladder, or the rung that fell due meanwhile of the ladder now stored.
    const after = again ? this.stored(payjsOrderId) : this.current(payjsOrderId, ladder);
    if (after?.state === 'pending') this.schedule(after);
  }

  private async climb(job: JobRecord, step: number): Promise<void> {
    const ladder = this.ladderOf(job);
    const { scenarios } = this.options;
    const rule = scenarios.hasRulesFor('notify') ? scenarios.take({ endpoint: 'notify', mchid: job.mchid, out_trade_no: job.out_trade_no, notify_url: job.url, total_fee: Number(job.fields.total_fee) }) : [];
    const tokens = job.tokens.length === 0 ? rule : rule.length === 0 ? parseTokens(job.tokens) : [...parseTokens(job.tokens), ...rule];
    const copies = step === 0 ? (find(tokens, 'notify=duplicate')?.arg ?? 1) : 1;
    const kinds = copies === 1 ? LADDER : Array.from({ length: copies }, (_, i): NotifyAttempt['kind'] => (i === 0 ? 'ladder' : 'duplicate'));
    const { sent, lost } = await this.send(job, kinds, step, rule);
    const delivered = sent.some((a) => a.delivered);
    // The attempts and the rung they lead to are one write: a kill between two writes would
    // leave an attempt recorded on a rung that runs again at the restart.
    await this.record(job.payjs_order_id, ladder, sent, (now): Partial<JobRecord> => {
      const spent = spend(now, lost);
      if (now.state !== 'pending') return spent;
      if (delivered) return { ...spent, state: 'delivered' };
      return { ...spent, ...(dueAt(now, step + 1) === null ? { state: 'exhausted' as const } : { next: step + 1 }) };
    });
  }

  /** Records attempts, and what they change of the job, in one write (one journal line), if the
   * job is still of `ladder` when they end (else nothing, and undefined: a reset or a restore
   * removed it); then tells the listeners. */
  private async record(payjsOrderId: string, ladder: symbol, sent: Sent[], change: (now: JobRecord) => Partial<JobRecord> = () => ({})): Promise<NotifyEvent[] | undefined> {
    const now = this.current(payjsOrderId, ladder);
    if (!now) return undefined;
    const first = now.attempts + 1;
    const attempts: NotifyAttempt[] = [];
    const changes: Change[] = [];
    for (let i = 0; i < sent.length; i++) {
      const attempt = sent[i];
      attempt.attempt = first + i;
      attempts.push(attempt);
      changes.push({ c: ATTEMPTS, k: attemptKey(payjsOrderId, first + i), v: attempt });
    }
    const job = { ...now, ...change(now) };
    job.attempts = now.attempts + sent.length;
    await this.save(job, ladder, changes);
    // Only this order's waiters are woken (waitForNotify), besides those of every attempt.
    const waiting = this.waiters.get(payjsOrderId);
    const events = attempts.map((a) => this.event(now, a));
    for (const event of events) {
      for (const listener of [...this.listeners]) listener(event);
      if (waiting) for (const listener of [...waiting]) listener(event);
    }
    return events;
  }

  /** POSTs one after another, one per kind. A rule's notify=fail loses each attempt it matched;
   * the order's notify=fail:<n> loses the next n of the job's attempts: `lost` says how many of
   * those these used, for record() to take off the job. */
  private async send(job: JobRecord, kinds: readonly NotifyAttempt['kind'][], step: number | undefined, rule: Token[]): Promise<{ sent: Sent[]; lost: number }> {
    const ruleFails = !!find(rule, 'notify=fail');
    const sent: Sent[] = [];
    let lost = 0;
    for (const kind of kinds) {
      const drop = ruleFails || lost < (job.failing ?? 0);
      if (!ruleFails && drop) lost += 1;
      sent.push(await this.post(job, kind, step, rule, drop));
    }
    return { sent, lost };
  }

  /** One POST, unless `drop` loses it on the way; `rule` tokens shape this attempt only. */
  private async post(job: JobRecord, kind: NotifyAttempt['kind'], step: number | undefined, rule: Token[], drop: boolean): Promise<Sent> {
    const forged = !!find(rule, 'notify=forged');
    const extra = !!find(rule, 'notify=extra-fields');
    const body = forged || extra ? encodeBody(signNotify(job.fields, this.options.merchants.require(job.mchid).key, { forged, extraFields: extra })) : this.bodyOf(job);
    const at = this.clock.now();
    const delivery = drop
      ? { ms: 0, error: 'scenario' as const, detail: 'notify=fail: a scenario dropped this attempt on the way' }
      : await this.transport(job.url, body);
    // One object, named in the order every attempt shows: { ...delivery, delivered } after the
    // others costs ~10 µs on Node 20 (a spread followed by new names, see event()).
    const url = job.url;
    const sent = Object.assign(step === undefined ? { attempt: 0, kind, at, url, body } : { attempt: 0, kind, step, at, url, body }, delivery) as Sent;
    sent.delivered = delivery.status === 200;
    return sent;
  }

  private event(job: JobRecord, attempt: NotifyAttempt): NotifyEvent {
    // Object.assign, not a spread followed by new names: on Node 20 that costs ~10 µs an event
    // (measured), the object spread copies into cannot take the names on cheaply.
    return Object.assign({}, attempt, { payjs_order_id: job.payjs_order_id, out_trade_no: job.out_trade_no, mchid: job.mchid });
  }

  /** The ladder of the job stored now (a job read from the file or a snapshot starts one). */
  private ladderOf(job: JobRecord): symbol {
    const held = this.held.get(job.payjs_order_id);
    if (held && (held.job === job || held.was === job)) return held.ladder;
    const putBack = held?.replaced?.find((r) => r.job === job);
    if (putBack) return putBack.ladder;
    const ladder = Symbol(job.payjs_order_id);
    this.held.set(job.payjs_order_id, { job, ladder });
    return ladder;
  }

  /** The job as stored now, if it is still of `ladder`. */
  private current(payjsOrderId: string, ladder: symbol): JobRecord | undefined {
    const job = this.stored(payjsOrderId);
    return job && this.ladderOf(job) === ladder ? job : undefined;
  }

  /** The job's body as every ordinary attempt sends it, encoded once per ladder. */
  private bodyOf(job: JobRecord): string {
    const held = this.held.get(job.payjs_order_id);
    if (held?.body?.fields === job.fields) return held.body.text;
    const text = encodeBody(job.fields);
    if (held?.job.fields === job.fields) held.body = { fields: job.fields, text };
    return text;
  }

  /** The one way a job changes: a new object, in memory at once and journaled before this
   * resolves, with the attempts that led to it (`with`) in the same line (taken back together by
   * the store if the write fails). */
  private save(job: JobRecord, ladder: symbol, withChanges?: Change[]): Promise<void> {
    const id = job.payjs_order_id;
    const held = this.held.get(id);
    const save = ++this.saves;
    const replaced = held ? [...(held.replaced ?? []), { job: held.job, ladder: held.ladder, save }] : undefined;
    if (held?.ladder === ladder) {
      held.was = held.job;
      held.job = job;
      held.replaced = replaced;
    } else this.held.set(id, { job, ladder, replaced });
    if (withChanges) withChanges.push({ c: JOBS, k: id, v: job });
    const written = withChanges ? this.store.batch(withChanges) : this.store.put(JOBS, id, job);
    // Once this save is written, no failed write can put back what it (or an earlier save) replaced.
    if (replaced) {
      written.then(
        () => {
          const now = this.held.get(id);
          if (!now?.replaced) return;
          const left = now.replaced.filter((r) => r.save > save);
          now.replaced = left.length > 0 ? left : undefined;
        },
        () => {},
      );
    }
    return written;
  }
}
