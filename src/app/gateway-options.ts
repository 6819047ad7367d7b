import type { SandboxClock } from '../clock/clock.js';
import type { ScenarioBook } from './scenario-book.js';
import type { Store } from '../store/store.js';
import type { Endpoint } from '../core/fields.js';
import type { Random } from '../core/ids.js';
import type { Merchants } from '../core/merchant.js';
import type { Channel, Order } from '../core/order.js';
import type { Token } from '../core/scenarios.js';

/** What the notify engine hears from the gateway. */
export interface OrderEvents {
  paid(order: Order, tokens: Token[]): Promise<void>;
  checked(order: Order): Promise<void>;
  later(order: Order): Promise<void>;
  /** Tokens were applied to a paid order: its notify starts again, shaped by them. */
  rearm(order: Order, tokens: Token[]): Promise<unknown>;
}

export interface GatewayOptions {
  store: Store;
  merchants: Merchants;
  clock: SandboxClock;
  scenarios: ScenarioBook;
  events?: OrderEvents;
  random?: Random;
  /** Refuse a second order with the same out_trade_no (PAYJS seems to accept it, §17). */
  uniqueOutTradeNo?: boolean;
  /** Let the reserved amounts of MAGIC_AMOUNTS choose outcomes (default true). */
  magicAmounts?: boolean;
  lenientSign?: boolean;
  onSignError?: (endpoint: Endpoint, debug: string) => void;
  /** Called with every order the gateway saved (the dashboard's live updates). */
  onOrder?: (order: Order) => void;
  /** `/api/openid` sends the browser to a page that picks the fake WeChat user, instead of
   * straight back to `callback_url` with the default payer. */
  openidPage?: boolean;
}

/** The endpoints that create an order and answer with JSON. */
export type CreateEndpoint = Exclude<Channel, 'miniprogram'>;
/** The endpoints that act on one order. */
export type OrderEndpoint = 'check' | 'close' | 'reverse' | 'refund';
