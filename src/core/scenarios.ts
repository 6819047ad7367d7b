import { ORDER_CREATING } from './endpoints.js';
import { Refusal } from './errors.js';

/**
 * Scenarios: outcomes and delivery behaviours as data. One vocabulary of tokens
 * (`group=mode[:arg]`) serves the three ways to choose them: the X-Payjs-Sandbox-Scenario
 * header, magic amounts, and rules added through the control API.
 */

/** How a token's argument is read. */
type Arg = 'none' | 'seconds?' | 'seconds' | 'count' | 'count?' | 'ms' | 'status';

interface Definition {
  arg: Arg;
  meaning: string;
}

/** The vocabulary, in the order of the README's table. */
export const VOCABULARY = {
  'pay=auto': { arg: 'seconds?', meaning: 'the payer pays at once, or after <s> seconds of sandbox time' },
  'pay=fail': { arg: 'none', meaning: "the payer's Pay on a pay page fails; the order stays unpaid" },
  'pay=cancel': { arg: 'none', meaning: 'the payer cancels on the pay page; the order stays unpaid' },
  'order=expire': { arg: 'seconds?', meaning: 'the unpaid order expires (closes) at once, or after <s> seconds of sandbox time' },
  'order=refund': { arg: 'seconds?', meaning: 'the order is refunded as soon as it is paid, or <s> seconds after' },
  'notify=never': { arg: 'none', meaning: 'no notify is sent for the order' },
  'notify=late': { arg: 'seconds', meaning: 'the first notify comes <s> seconds late (the whole ladder shifts)' },
  'notify=duplicate': { arg: 'count', meaning: 'the first notify is sent <n> times, the same signed body each time' },
  'notify=forged': { arg: 'none', meaning: 'notifies carry a sign that does not verify: the merchant must reject them' },
  'notify=extra-fields': { arg: 'none', meaning: 'notifies carry unknown fields, signed, as PAYJS warns it may add' },
  'notify=replay': { arg: 'none', meaning: 'the first notify arrives again after a later event (refund, reverse)' },
  'notify=fail': { arg: 'count?', meaning: 'attempts are lost on the way, counted as failed and retried on the ladder: the matched one (a rule), or the next <n> (default 1) of an order' },
  'micropay=password': { arg: 'seconds?', meaning: 'micropay answers 需要用户输入支付密码; paid after <s> seconds, or never' },
  'api=delay': { arg: 'ms', meaning: 'the call is answered <ms> milliseconds late' },
  'api=status': { arg: 'status', meaning: 'the call is answered with HTTP <code> and not carried out' },
  'api=hang': { arg: 'none', meaning: 'the call is carried out and never answered' },
  'api=malformed': { arg: 'none', meaning: 'the call is carried out and answered with broken JSON' },
} as const satisfies Record<string, Definition>;

/** A token's name, `group=mode`: code that asks for a misspelled one does not compile. */
export type TokenName = keyof typeof VOCABULARY;
/** What a token acts on: the payer, the notify, micropay's password step, or the API call. */
export type Group = TokenName extends `${infer G}=${string}` ? G : never;

const isTokenName = (name: string): name is TokenName => Object.hasOwn(VOCABULARY, name);
const groupOf = (name: TokenName) => name.slice(0, name.indexOf('=')) as Group;

/** One parsed token. */
export interface Token {
  group: Group;
  /** `pay=auto`, `notify=late`, … */
  name: TokenName;
  arg?: number;
  /** As written: `notify=late:30`. */
  text: string;
}

/** Amounts (fen) that choose an outcome, in the spirit of WeChat's sandbox cases (5.01 yuan, …).
 * Every other amount behaves normally. */
export const MAGIC_AMOUNTS: Record<number, string> = {
  501: 'pay=auto',
  502: 'pay=fail',
  503: 'pay=cancel',
  504: 'pay=auto,notify=never',
  505: 'pay=auto,notify=late:60',
  506: 'pay=auto,notify=duplicate:3',
  507: 'pay=auto,notify=forged',
  508: 'pay=auto,notify=extra-fields',
  509: 'pay=auto:30',
  510: 'micropay=password:10',
  511: 'micropay=password',
  512: 'api=status:500',
  513: 'api=malformed',
  514: 'pay=auto,notify=replay',
};

const known = () => (Object.keys(VOCABULARY) as TokenName[]).map((n) => `${n}${argHint(VOCABULARY[n].arg)}`).join(', ');
/** How the token's argument is written in the vocabulary table (`[:<s>]`, `:<n>`, …). */
export const argHint = (arg: Arg) => ({ none: '', 'seconds?': '[:<s>]', seconds: ':<s>', count: ':<n>', 'count?': '[:<n>]', ms: ':<ms>', status: ':<code>' })[arg];

/** Parses `pay=auto:5,notify=late:30` (or a list of such strings); refuses unknown tokens with the
 * list of known ones. */
export function parseTokens(input: string | string[] | undefined): Token[] {
  if (input === undefined) return [];
  const parts = (Array.isArray(input) ? input : [input]).flatMap((s) => String(s).split(',')).map((s) => s.trim()).filter(Boolean);
  // "pay=auto notify=late:30" is a common slip: say how to separate tokens, not that 30 is no number.
  const spaced = parts.find((p) => /\s/.test(p));
  if (spaced) throw new Refusal('UNKNOWN_SCENARIO', [`${spaced.slice(0, 60)} (separate tokens with commas, not spaces)`, known()]);
  return parts.map(parseToken);
}

function parseToken(text: string): Token {
  const m = /^([a-z]+=[a-z-]+)(?::(.+))?$/.exec(text);
  if (!m || !isTokenName(m[1])) throw new Refusal('UNKNOWN_SCENARIO', [text.slice(0, 60), known()]);
  const name = m[1];
  const def: Definition = VOCABULARY[name];
  const raw = m[2];
  const bad = (why: string) => new Refusal('UNKNOWN_SCENARIO', [`${text.slice(0, 60)} (${why})`, known()]);
  if (def.arg === 'none') {
    if (raw !== undefined) throw bad('takes no argument');
    return { group: groupOf(name), name, text };
  }
  if (raw === undefined) {
    if (def.arg === 'seconds?' || def.arg === 'count?') return { group: groupOf(name), name, text };
    throw bad('needs an argument');
  }
  if (!/^\d+(\.\d+)?$/.test(raw)) throw bad('the argument must be a number');
  const arg = Number(raw);
  if ((def.arg === 'count' || def.arg === 'count?') && (!Number.isInteger(arg) || arg < 1 || arg > 100)) throw bad('the count must be 1 to 100');
  if (def.arg === 'status' && (!Number.isInteger(arg) || arg < 100 || arg > 599)) throw bad('the status must be 100 to 599');
  if (def.arg === 'ms' && arg > 600_000) throw bad('at most 600000 ms');
  return { group: groupOf(name), name, arg, text };
}

/** The tokens a magic amount selects (none for ordinary amounts). */
export function magicTokens(totalFee: string | undefined): Token[] {
  const n = Number(totalFee);
  return Object.hasOwn(MAGIC_AMOUNTS, n) ? parseTokens(MAGIC_AMOUNTS[n]) : [];
}

/** The first token called `name`, if any. */
export const find = (tokens: readonly Token[], name: TokenName) => tokens.find((t) => t.name === name);

/** What a control-API rule matches on. `out_trade_no` is a pattern with `*` and `?`. */
export interface Match {
  mchid?: string;
  out_trade_no?: string;
  total_fee?: number;
  /** A PAYJS endpoint (`native`, `check`, `refund`, …) or `notify`; absent: the create calls. */
  endpoint?: string;
  notify_url?: string;
}

/** What an event offers to be matched against. */
export interface Subject {
  endpoint: string;
  mchid?: string;
  out_trade_no?: string;
  total_fee?: number;
  notify_url?: string;
}

const glob = (pattern: string) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);

/** Whether a rule's match covers events of an endpoint (no endpoint in it: the create calls). */
export const coversEndpoint = (m: Match, endpoint: string): boolean => (m.endpoint ? m.endpoint === endpoint : (ORDER_CREATING as readonly string[]).includes(endpoint));

/** Whether a rule's match covers an event. */
export function matches(m: Match, s: Subject): boolean {
  if (!coversEndpoint(m, s.endpoint)) return false;
  if (m.mchid !== undefined && m.mchid !== s.mchid) return false;
  if (m.total_fee !== undefined && m.total_fee !== s.total_fee) return false;
  if (m.notify_url !== undefined && m.notify_url !== s.notify_url) return false;
  if (m.out_trade_no !== undefined && (s.out_trade_no === undefined || !glob(m.out_trade_no).test(s.out_trade_no))) return false;
  return true;
}

/** A control-API rule: the steps it hands out, one per matching event, and how often. */
export interface Rule {
  id: string;
  match: Match;
  /** Token texts of each step; a rule with one step and `remaining: null` applies forever. */
  steps: string[][];
  /** Matches left before the rule is spent; null for ever. */
  remaining: number | null;
  /** How many times it matched. */
  used: number;
  /** The name of the scenario file it came from, if any. */
  from?: string;
}

/** What a client posts to /__sandbox/scenarios or hands to `sandbox.use()`. */
export interface RuleInput {
  match?: Match;
  tokens?: string | string[];
  once?: boolean;
  times?: number;
  /** One entry per matching event, in order: `['notify=fail', 'notify=fail', '']`. */
  sequence?: (string | string[])[];
}

/** Turns a rule input of the right shape (app/inputs.ts checks it) into a rule; its tokens are
 * parsed here, once. `from` names the scenario file it came from. */
export function makeRule(id: string, input: RuleInput, from?: string): Rule {
  const rule = makeBareRule(id, input);
  return from ? { ...rule, from } : rule;
}

function makeBareRule(id: string, input: RuleInput): Rule {
  const match = { ...(input.match ?? {}) };
  if (input.sequence !== undefined) {
    const steps = input.sequence.map((s) => parseTokens(s).map((t) => t.text));
    return { id, match, steps, remaining: steps.length, used: 0 };
  }
  const tokens = parseTokens(input.tokens).map((t) => t.text);
  if (tokens.length === 0) throw new Refusal('INVALID_PARAM', ['tokens', 'give the tokens of the scenario, e.g. "notify=late:30"']);
  const remaining = input.once ? 1 : (input.times ?? null);
  return { id, match, steps: [tokens], remaining, used: 0 };
}

/** The tokens a rule gives for its next match, and the rule after it (null once spent). */
export function takeStep(rule: Rule): { tokens: Token[]; next: Rule | null } {
  const step = rule.steps.length > 1 ? rule.steps[rule.used] : rule.steps[0];
  const remaining = rule.remaining === null ? null : rule.remaining - 1;
  const next = remaining === 0 ? null : { ...rule, remaining, used: rule.used + 1 };
  return { tokens: parseTokens(step), next };
}

/** The groups whose tokens act on an order after it exists (`api=…` acts on a call, `micropay=…`
 * on the create call itself). */
export const ORDER_GROUPS: readonly Group[] = ['pay', 'order', 'notify'];

/**
 * An order's scenario after tokens are applied to it "from now on": each group given replaces
 * the order's tokens of that group (so `notify=late:30` after `notify=never` means late, not
 * never); groups not given are kept. Refuses tokens that cannot act on an existing order.
 */
export function applyToOrder(existing: readonly string[] | undefined, added: readonly Token[]): string[] {
  const wrong = added.find((t) => !ORDER_GROUPS.includes(t.group));
  if (wrong) throw new Refusal('INVALID_PARAM', ['tokens', `${wrong.text} cannot act on an existing order: give pay=…, order=… and notify=… tokens (api=… goes in a rule or the X-Payjs-Sandbox-Scenario header)`]);
  if (added.length === 0) throw new Refusal('INVALID_PARAM', ['tokens', 'give the tokens to apply, e.g. "notify=late:30"']);
  const groups = new Set(added.map((t) => t.group));
  return [...parseTokens(existing ? [...existing] : []).filter((t) => !groups.has(t.group)).map((t) => t.text), ...added.map((t) => t.text)];
}
