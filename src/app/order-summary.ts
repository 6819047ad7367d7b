import type { Order } from '../core/order.js';

/**
 * What the gateway reads of every stored order at start (Gateway.reindex): the code index, the
 * expiry of unpaid orders, whether it has a scenario (whose tasks need the whole order), and
 * under --unique-out-trade-no the merchant's out_trade_no. The store keeps these fields of each
 * order in its document's summary (StoreOptions.summaries), so that a start with 100k orders does
 * not parse them.
 */
/** The store's collection of orders. */
export const ORDERS = 'orders';

export const ORDER_SUMMARY_FIELDS = ['code', 'status', 'expires_at', 'scenario', 'mchid', 'out_trade_no'] as const;

export type OrderSummaryField = (typeof ORDER_SUMMARY_FIELDS)[number];

/** An order as the gateway's start reads it: its summary, or the whole order. */
export type OrderSummary<K extends OrderSummaryField = OrderSummaryField> = Pick<Order, K>;

/** The fields the gateway's indexes need, without the out_trade_no ones unless they are kept. */
export const summaryFields = (uniqueOutTradeNo: boolean): readonly OrderSummaryField[] =>
  uniqueOutTradeNo ? ORDER_SUMMARY_FIELDS : ['code', 'status', 'expires_at', 'scenario'];

/** The summaries the store keeps (StoreOptions.summaries). */
export const STORE_SUMMARIES = { [ORDERS]: ORDER_SUMMARY_FIELDS };
