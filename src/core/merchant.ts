import { Refusal } from './errors.js';
import type { MerchantProfile } from './fakes.js';

/** A merchant the sandbox accepts: its mchid, its 通信密钥 and what /api/info reports. */
export interface Merchant extends MerchantProfile {
  key: string;
}

/** The merchant every sandbox has, with the credentials of the worked examples in docs/protocol.md §3.4. */
export const DEFAULT_MERCHANT: Merchant = Object.freeze({
  mchid: '1234567890',
  key: 'TestKey1234567890',
  name: 'PAYJS 沙箱商户',
});

/** Parses `MCHID:KEY` (or `MCHID:KEY:NAME`), the form of `--merchant` and PAYJS_SANDBOX_MERCHANTS. */
export function parseMerchantSpec(spec: string): Merchant {
  const [mchid, key, ...name] = spec.split(':');
  return checkMerchant({ mchid, key, name: name.length ? name.join(':') : undefined }, `"${spec}"`);
}

/** What a merchant's credentials may be, stated once: `checkMerchant` (options, files, the CLI)
 * and the control API's merchant schema (src/app/inputs.ts) both read these. */
export const MERCHANT_RULES = {
  mchid: { pattern: '^[0-9A-Za-z_-]{1,16}$', says: "1-16 letters or digits, as PAYJS's string(16)" },
  key: { pattern: '^[^\\s&]+$', says: 'a non-empty string without spaces or "&"' },
} as const;

const MCHID = new RegExp(MERCHANT_RULES.mchid.pattern);
const KEY = new RegExp(MERCHANT_RULES.key.pattern);

/** Checks a merchant read from options or a file; `where` names it in the error. */
export function checkMerchant(m: Partial<Merchant>, where: string): Merchant {
  if (typeof m.mchid !== 'string' || !MCHID.test(m.mchid)) {
    throw new Error(`merchant ${where}: mchid must be ${MERCHANT_RULES.mchid.says} (write MCHID:KEY)`);
  }
  if (typeof m.key !== 'string' || !KEY.test(m.key)) {
    throw new Error(`merchant ${where}: key must be ${MERCHANT_RULES.key.says} (write MCHID:KEY)`);
  }
  return { ...m, mchid: m.mchid, key: m.key };
}

/** The merchants of one sandbox, by mchid. */
export class Merchants {
  private readonly byId = new Map<string, Merchant>();

  constructor(list: Merchant[]) {
    for (const m of list) this.add(m);
  }

  add(m: Merchant): void {
    this.byId.set(m.mchid, m);
  }

  /** Puts back the merchant `mchid` had before (or none): a refused seed's undo. */
  restore(mchid: string, before: Merchant | undefined): void {
    if (before) this.byId.set(mchid, before);
    else this.byId.delete(mchid);
  }

  get(mchid: string): Merchant | undefined {
    return this.byId.get(mchid);
  }

  /** The merchant of `mchid`, or the PAYJS refusal for an unknown one. */
  require(mchid: string): Merchant {
    const m = this.byId.get(mchid);
    if (!m) throw new Refusal('UNKNOWN_MCHID', [mchid.slice(0, 40)]);
    return m;
  }

  list(): Merchant[] {
    return [...this.byId.values()];
  }
}
