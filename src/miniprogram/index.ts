/** payjs-sandbox/miniprogram: run a merchant mini-program in Node against the sandbox. */
export { createMiniProgram, MiniProgram, type LaunchOptions, type MiniProgramOptions, type SetDataCall, type ShowOrder } from './harness.js';
export type { Instance } from './instance.js';
export type { Jump, RequestRecord, UiCall } from './wx.js';
export type { OnShowOptions, PayAnswer, PayerChoice, PayjsResult } from '../app/payjs-miniprogram.js';
export { PAYJS_MINIPROGRAM_APPID, MINIPROGRAM_RESULTS, MINIPROGRAM_RETURN_SCENE } from '../core/protocol.js';
