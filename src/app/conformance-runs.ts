import type { SandboxClock } from '../clock/clock.js';
import type { Gateway } from './gateway.js';
import { Refusal } from '../core/errors.js';
import { sign, type Params } from '../core/sign.js';
import { runNotifyBattery, type ConformanceReport, type Poster } from '../notify/conformance.js';
import { validator, type JsonSchema } from './validate.js';

/** What `POST /__sandbox/conformance` takes. */
export const CONFORMANCE_INPUT_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['url'],
  additionalProperties: false,
  properties: {
    url: { type: 'string', pattern: '^https?://', maxLength: 2048, description: "the merchant's notify endpoint, an http(s) URL" },
    mchid: { type: 'string', description: 'the merchant whose key signs the notifies (default: the default merchant)' },
  },
};

export interface ConformanceInput {
  url: string;
  mchid?: string;
}

const checkInput = validator<ConformanceInput>(CONFORMANCE_INPUT_SCHEMA, 'body');

/** How many reports the sandbox keeps for the dashboard (in memory, newest first). */
const KEPT = 20;

/**
 * Runs the notify-endpoint battery (src/notify/conformance.ts) on orders this sandbox makes for
 * the purpose — created through the gateway as the merchant's signed native call, with no
 * notify_url so that the sandbox's own ladder stays out of it, then paid — and keeps the last
 * reports.
 */
export class ConformanceRuns {
  private readonly reports: ConformanceReport[] = [];
  private counter = 0;

  constructor(private readonly parts: { gateway: Gateway; clock: SandboxClock; post?: Poster; deadlineMs?: number }) {}

  /** Checks the input (a refusal names the field) and runs the battery. */
  async run(input: unknown, base: string): Promise<ConformanceReport> {
    const { url, mchid } = checkInput(input);
    const { gateway } = this.parts;
    const merchant = mchid ? gateway.merchants.get(mchid) : gateway.merchants.list()[0];
    if (!merchant) throw new Refusal('UNKNOWN_MCHID', [String(mchid)]);
    const id = `c${++this.counter}`;
    let n = 0;
    const report = await runNotifyBattery({
      id,
      url,
      merchant,
      now: () => this.parts.clock.now(),
      post: this.parts.post,
      deadlineMs: this.parts.deadlineMs,
      orders: {
        paid: async ({ alipay, attach }) => {
          const params: Params = { mchid: merchant.mchid, total_fee: 1, out_trade_no: `CONFORMANCE-${id}-${++n}`, body: 'notify conformance check' };
          if (attach) params.attach = 'conformance';
          if (alipay) params.type = 'alipay';
          params.sign = sign(params, merchant.key);
          const { order } = await gateway.create('native', params, base);
          return gateway.pay(order.payjs_order_id);
        },
        refund: (order) => gateway.act(order.payjs_order_id, 'refund'),
      },
    });
    this.reports.unshift(report);
    this.reports.length = Math.min(this.reports.length, KEPT);
    return report;
  }

  /** The last reports, newest first. */
  list(): ConformanceReport[] {
    return [...this.reports];
  }

  get(id: string): ConformanceReport | undefined {
    return this.reports.find((r) => r.id === id);
  }

  clear(): void {
    this.reports.length = 0;
  }
}
