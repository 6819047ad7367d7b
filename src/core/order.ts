/** The order record, in PAYJS field names where PAYJS has one (docs/protocol.md §4–§15). */

/** The API surface that created an order. */
export type Channel = 'native' | 'micropay' | 'jsapi' | 'cashier' | 'mweb' | 'facepay' | 'miniprogram';

export type OrderStatus = 'unpaid' | 'paid' | 'refunded' | 'closed';

/** What can happen to an order; `transitions.ts` says what each does in each status. */
export type OrderEvent = 'pay' | 'close' | 'expire' | 'reverse' | 'refund';

/** What the payer did on a pay page when the order did not get paid (recorded, no state change). */
export type PayerMishap = 'pay_failed' | 'pay_cancelled';

/** One line of an order's timeline. */
export interface OrderHistoryEntry {
  event: OrderEvent | PayerMishap | 'create';
  at: number;
  status: OrderStatus;
}

export interface Order {
  payjs_order_id: string;
  mchid: string;
  out_trade_no: string;
  total_fee: number;
  body?: string;
  attach?: string;
  notify_url?: string;
  callback_url?: string;
  /** `alipay` for Alipay orders; absent for WeChat. */
  type?: 'alipay';
  channel: Channel;
  status: OrderStatus;
  /** Epoch ms. */
  created_at: number;
  /** Epoch ms after which an unpaid order is closed. */
  expires_at: number;
  /** The payer: given at creation for jsapi/facepay, chosen at payment otherwise. */
  openid?: string;
  transaction_id?: string;
  paid_at?: number;
  /** The token behind the order's code_url / h5_url / prepay_id. */
  code: string;
  /** Cashier display options as sent (`auto`, `hide`, `logo`), and `no_credit`. */
  options?: Record<string, string>;
  history: OrderHistoryEntry[];
  /** Scenario tokens chosen at creation that shape what happens next (`pay=…`, `notify=…`). */
  scenario?: string[];
  /** When tokens were last applied to the existing order (`pay=auto:<s>` counts from then). */
  scenario_at?: number;
}

/** What a payment adds to an order. */
export interface Payment {
  openid: string;
  transaction_id: string;
  paid_at: number;
}

/** What order listings filter on. */
export interface OrderFilter {
  mchid?: string;
  status?: string;
  channel?: string;
  out_trade_no?: string;
}

/** The actions of the control API and the dashboard on one order. `pay` is a test's override:
 * the order is paid whatever its scenario says. `tap` is the payer tapping Pay on the pay page:
 * the order's scenario decides (`pay=fail`, `pay=cancel`, the magic amounts 502/503 leave it unpaid). */
export type ControlAction = 'pay' | 'tap' | 'fail' | 'cancel' | 'close' | 'refund' | 'reverse' | 'expire';
export const CONTROL_ACTIONS: readonly ControlAction[] = ['pay', 'tap', 'fail', 'cancel', 'close', 'refund', 'reverse', 'expire'];
