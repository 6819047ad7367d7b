/** The public surface of payjs-sandbox. */
export { startSandbox, type Sandbox, type SandboxOptions } from './sandbox.js';
export { DatabaseRefused } from './store/refusal.js';
export { sign, verify, canonicalString, diagnose, type Params, type ParamValue, type SignDiagnosis } from './core/sign.js';
export { DEFAULT_MERCHANT, type Merchant } from './core/merchant.js';
export type { Order, OrderStatus, Channel } from './core/order.js';
export { NEXT as ORDER_TRANSITIONS } from './core/transitions.js';
export { SandboxClock, type Clock, type SandboxClockOptions } from './clock/clock.js';
