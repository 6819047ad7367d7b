/**
 * The PAYJS mini-program, simulated (docs/protocol.md §12): it receives the signed `extraData` a
 * merchant mini-program jumps with, lets the payer pay, fail or cancel, and hands the merchant app
 * the `onShow` options of its return. Runs inside the sandbox, behind /__sandbox/miniprogram/.
 */
import type { Gateway } from './gateway.js';
import { Refusal } from '../core/errors.js';
import { MiniprogramPayInput } from './inputs.js';
import { validator } from './validate.js';
import type { Order } from '../core/order.js';
import { MINIPROGRAM_DEFAULT_PATH, MINIPROGRAM_RESULTS, MINIPROGRAM_RETURN_SCENE, PAYJS_MINIPROGRAM_APPID } from '../core/protocol.js';
import type { Params } from '../core/sign.js';

/** What the payer does inside the PAYJS mini-program. */
export type PayerChoice = 'pay' | 'fail' | 'cancel';

/** `referrerInfo.extraData` of the return: what the PAYJS mini-program tells the merchant app. */
export interface PayjsResult {
  success: boolean;
  resultCode: string;
  msg: string;
  payjsOrderId?: string;
}

/** The object the merchant's `App.onShow(options)` (and `wx.onAppShow`) receives on the return. */
export interface OnShowOptions {
  scene: number;
  path: string;
  query: Record<string, string>;
  referrerInfo: { appId: string; extraData: PayjsResult };
}

/** A request to /__sandbox/miniprogram/pay: the jump's extraData, the payer's choice, and the
 * merchant page that is open when the app comes back. */
export interface PayRequest {
  extraData: unknown;
  action: PayerChoice;
  path?: string;
  query?: Record<string, string>;
}

/** The answer: the return's onShow options, and the order (null when extraData was refused). */
export interface PayAnswer {
  onShowOptions: OnShowOptions;
  order: Order | null;
}

// Names of a 2018 demo and of one SDK (qingwg's `mch_id`); the final doc uses snake_case (§12.1).
const OLD_NAMES: Record<string, string> = {
  mchId: 'mchid',
  mch_id: 'mchid',
  totalFee: 'total_fee',
  outTradeNo: 'out_trade_no',
  notifyUrl: 'notify_url',
  nonceStr: 'nonce',
  nonce_str: 'nonce',
};

/** Reads the body of a pay request; a malformed request (not the extraData) is the caller's bug. */
export function readPayRequest(body: unknown): PayRequest {
  const { extraData, action = 'pay', path, query = {} } = readPayInput(body);
  return { extraData, action, path, query };
}

const readPayInput = validator<Partial<PayRequest>>(MiniprogramPayInput);

/** Refuses extraData that is not an object, has undefined values, or uses the camelCase names of old demos. */
function checkExtraData(extraData: unknown): Params {
  if (extraData === undefined || extraData === null) throw new Refusal('MISSING_PARAM', ['extraData']);
  if (typeof extraData !== 'object' || Array.isArray(extraData)) {
    const why = typeof extraData === 'string' ? 'a string; pass the signed object itself, not its JSON' : `${Array.isArray(extraData) ? 'a list' : typeof extraData}; pass the signed object`;
    throw new Refusal('INVALID_PARAM', ['extraData', `must be an object, not ${why}`]);
  }
  // JSON has no undefined: the wx harness sends an undefined value as null (see src/miniprogram/harness.ts).
  const empty = Object.entries(extraData).filter(([, v]) => v === null || v === undefined).map(([k]) => k);
  if (empty.length) throw new Refusal('UNDEFINED_FIELDS', [empty.join(', ')]);
  const old = Object.keys(extraData).filter((k) => Object.hasOwn(OLD_NAMES, k));
  if (old.length) throw new Refusal('CAMELCASE_FIELDS', [old.map((k) => `${k} → ${OLD_NAMES[k]}`).join(', ')]);
  return extraData as Params;
}

/** The payer acts inside the PAYJS mini-program; the answer is what the merchant app sees on return. */
export async function payInMiniprogram(gateway: Gateway, request: PayRequest): Promise<PayAnswer> {
  let order: Order | null = null;
  let result: PayjsResult;
  try {
    const created = await gateway.createFromMiniprogram(checkExtraData(request.extraData), request.action);
    order = created.order;
    result = { ...MINIPROGRAM_RESULTS[created.outcome], payjsOrderId: order.payjs_order_id };
  } catch (err) {
    if (!(err instanceof Refusal)) throw err;
    // The PAYJS mini-program returns to the app in every case: the refusal is in extraData.
    result = { ...MINIPROGRAM_RESULTS.refused, msg: err.message };
  }
  return { onShowOptions: onShowOptions(result, request.path, request.query), order };
}

/** The onShow options of a return from the PAYJS mini-program (docs/protocol.md §12.3). */
export function onShowOptions(extraData: PayjsResult, path = MINIPROGRAM_DEFAULT_PATH, query: Record<string, string> = {}): OnShowOptions {
  return {
    scene: MINIPROGRAM_RETURN_SCENE,
    path: path.replace(/^\/+/, '').split('?')[0] || MINIPROGRAM_DEFAULT_PATH,
    query,
    referrerInfo: { appId: PAYJS_MINIPROGRAM_APPID, extraData },
  };
}

/** A WeChat DevTools custom compile condition (自定义编译条件) that starts the merchant app as if it
 * came back from PAYJS with these options: as listed under `condition.miniprogram.list` of
 * project.private.config.json, where DevTools keeps extraData as a JSON string. */
export function devtoolsCondition(options: OnShowOptions, name = 'PAYJS 支付返回'): Record<string, unknown> {
  return {
    name,
    pathName: options.path,
    query: new URLSearchParams(options.query).toString(),
    scene: options.scene,
    referrerInfo: { appId: options.referrerInfo.appId, extraData: JSON.stringify(options.referrerInfo.extraData) },
  };
}
