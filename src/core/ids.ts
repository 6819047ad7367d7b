import { compactDate, compactTime } from './time.js';
import { ALIPAY_BUYER_PREFIX, ALIPAY_TRADE_NO_INFIX, OPENID_PREFIX, TRANSACTION_ID_PREFIX } from './protocol.js';

/** A source of randomness in [0, 1): `Math.random` at the edge, a seeded one in tests. */
export type Random = () => number;

const DIGITS = '0123456789';
const OPENID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `n` characters drawn from `alphabet`. */
export function randomString(random: Random, alphabet: string, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(random() * alphabet.length)];
  return s;
}

/** 25 digits: creation time `yyyyMMddHHmmss` (Beijing) + `00` + 9 digits (docs/protocol.md §2.3). */
export function payjsOrderId(now: number, random: Random): string {
  return `${compactTime(now)}00${randomString(random, DIGITS, 9)}`;
}

/** 28 digits like `4200000246201903196166644272`: prefix, 5 digits, payment date, 10 digits. */
export function transactionId(now: number, random: Random): string {
  return `${TRANSACTION_ID_PREFIX}${randomString(random, DIGITS, 5)}${compactDate(now)}${randomString(random, DIGITS, 10)}`;
}

/** A 28-character openid with PAYJS's official-account prefix `o7LFAw`. */
export function openid(random: Random): string {
  return `${OPENID_PREFIX}${randomString(random, OPENID_CHARS, 22)}`;
}

/** A 16-digit Alipay buyer id (`2088…`) for `type=alipay` orders. */
export function alipayBuyerId(random: Random): string {
  return `${ALIPAY_BUYER_PREFIX}${randomString(random, DIGITS, 12)}`;
}

/** An alphanumeric token: QR `pr=` codes, nonces, prepay ids. */
export function token(random: Random, n: number): string {
  return randomString(random, ALNUM, n);
}

/** A deterministic pseudo-random source from a string seed (fake merchant data, tests). */
export function seededRandom(seed: string): Random {
  let h = 2166136261;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16777619);
  let state = h >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 28-digit Alipay trade number for `type=alipay` orders (see protocol.ts). */
export function alipayTradeNo(now: number, random: Random): string {
  return `${compactDate(now)}${ALIPAY_TRADE_NO_INFIX}${randomString(random, DIGITS, 15)}`;
}
