import type { Store } from '../store/store.js';
import { RuleInput } from './inputs.js';
import { validator } from './validate.js';
import { ORDER_CREATING } from '../core/endpoints.js';
import { coversEndpoint, magicTokens, makeRule, matches, parseTokens, takeStep, type Rule, type RuleInput as Input, type Subject, type Token } from '../core/scenarios.js';
import type { Order } from '../core/order.js';
import type { Params } from '../core/sign.js';
import { Refusal } from '../core/errors.js';
import { checkScenarioFile, type ScenarioFile } from './scenario-inputs.js';

const RULES = 'scenarios';
const readRule = validator<Input>(RuleInput);

/** The scenario rules added through the control API or `sandbox.use()`, kept in the store so
 * they outlive a restart, handed out one step per matching event. */
export class ScenarioBook {
  private counter: number;

  constructor(private readonly store: Store) {
    this.counter = Math.max(0, ...this.list().map((r) => Number(r.id.slice(1)) || 0));
  }

  /** Adds a rule; throws a Refusal naming what is wrong with the input. */
  async add(input: Input): Promise<Rule> {
    const rule = makeRule(`s${++this.counter}`, readRule(input));
    await this.store.put(RULES, rule.id, rule);
    return rule;
  }

  /**
   * Loads a scenario file (`{ name, description, rules }`): every rule is checked before any is
   * added, so a file with one wrong rule adds nothing; the refusal names the path in the file
   * (`late.json: rules[1].tokens …`). Answers the file and the rules added.
   */
  async load(value: unknown, file = 'scenario'): Promise<{ scenario: ScenarioFile; rules: Rule[] }> {
    const scenario = checkScenarioFile(value, file);
    scenario.rules.forEach((input, i) => {
      try {
        makeRule('check', input);
      } catch (err) {
        if (err instanceof Refusal) throw new Refusal('INVALID_PARAM', [`${file}.rules[${i}]`, err.message]);
        throw err;
      }
    });
    const rules: Rule[] = [];
    for (const input of scenario.rules) {
      const rule = makeRule(`s${++this.counter}`, input, scenario.name);
      await this.store.put(RULES, rule.id, rule);
      rules.push(rule);
    }
    return { scenario, rules };
  }

  /** The rules in force, oldest first. */
  list(): Rule[] {
    return this.store.values<Rule>(RULES).sort((a, b) => Number(a.id.slice(1)) - Number(b.id.slice(1)));
  }

  async remove(id: string): Promise<boolean> {
    if (!this.store.get(RULES, id)) return false;
    await this.store.delete(RULES, id);
    return true;
  }

  /** Removes every rule, or those that match one merchant. */
  async clear(filter: { mchid?: string } = {}): Promise<void> {
    if (!filter.mchid) return this.store.clear(RULES);
    await Promise.all(this.list().filter((r) => r.match.mchid === filter.mchid).map((r) => this.store.delete(RULES, r.id)));
  }

  /** The scenario of one API call: the header's tokens, a magic amount's (on create calls), and
   * the matching rules' (which this uses up). Unknown tokens are refused. */
  forCall(endpoint: string, params: Params, context: { header?: string; order?: Order; magicAmounts: boolean }, taken?: Taken[]): Token[] {
    const { order } = context;
    const tokens = parseTokens(context.header);
    const scalar = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);
    const fee = scalar(params.total_fee);
    if ((ORDER_CREATING as readonly string[]).includes(endpoint) && context.magicAmounts) tokens.push(...magicTokens(fee));
    tokens.push(...this.take({
      endpoint,
      mchid: scalar(params.mchid) ?? order?.mchid,
      out_trade_no: scalar(params.out_trade_no) ?? order?.out_trade_no,
      total_fee: fee !== undefined ? Number(fee) : order?.total_fee,
    }, taken));
    return tokens;
  }

  /** Puts back what a take used of its rules, for a call that was refused: a refused call uses no
   * rule (a `once` rule waits for the next call the sandbox accepts). A rule another event used or
   * a user removed since is left as it is. */
  giveBack(taken: Taken[]): void {
    for (const { was, spent } of taken) {
      const now = this.store.get<Rule>(RULES, was.id);
      if (spent ? now === undefined : now?.used === was.used + 1) void this.store.put(RULES, was.id, was).catch(() => {});
    }
  }

  /** Whether any rule in force could match an event of `endpoint` (absent in a rule's match: the
   * create calls): without one, an event has nothing to look up. */
  hasRulesFor(endpoint: string): boolean {
    return this.store.values<Rule>(RULES).some((rule) => coversEndpoint(rule.match, endpoint));
  }

  /** The tokens every matching rule gives this event; a rule with once/times/sequence is used up
   * step by step. The change is journaled in the background: a rule is test setup, not an
   * acknowledged payment. The rules as they were before are pushed to `taken`, for giveBack. */
  take(subject: Subject, taken?: Taken[]): Token[] {
    const tokens: Token[] = [];
    if (this.store.values(RULES).length === 0) return tokens; // most calls: no rule to sort and look through
    for (const rule of this.list()) {
      if (!matches(rule.match, subject)) continue;
      const { tokens: step, next } = takeStep(rule);
      tokens.push(...step);
      taken?.push({ was: rule, spent: next === null });
      void (next ? this.store.put(RULES, rule.id, next) : this.store.delete(RULES, rule.id)).catch(() => {});
    }
    return tokens;
  }
}

/** A rule as it was before a take used it, and whether that take spent it. */
export interface Taken {
  was: Rule;
  spent: boolean;
}
