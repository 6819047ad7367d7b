/** What a mini-program test stands on: a sandbox, one of the example merchant back ends
 * (fixtures/miniprogram or fixtures/miniprogram-component) and the mini-program under test, closed
 * after each test. Call `useShop` at the top of a test file; it registers the vitest hooks. */
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/index.js';
import { createMiniProgram, type MiniProgram, type MiniProgramOptions } from '../../src/miniprogram/index.js';

/** The example back ends' shared surface (both fixtures' `server.mjs`). */
export interface ShopMerchant {
  url: string;
  orders: Map<string, { status: string; source?: string; payjs_order_id?: string }>;
  notifies: { fields: Record<string, string>; verified: boolean }[];
  close(): Promise<void>;
}

/** The host the fixtures' mini-programs call, answered by the merchant back end. */
export const SHOP_HOST = 'https://shop.example.com';

export interface Shop {
  readonly sandbox: Sandbox;
  readonly merchant: ShopMerchant;
  /** Loads a mini-program (the fixture's own by default) against this shop; closed after the test. */
  load(options?: Partial<MiniProgramOptions>): Promise<MiniProgram>;
  /** `load`, then `launch({ query })`. */
  open(options?: Partial<MiniProgramOptions>, query?: Record<string, string>): Promise<MiniProgram>;
}

/** `fixture` is the fixture folder's name under fixtures/, e.g. 'miniprogram'. */
export function useShop(fixture: 'miniprogram' | 'miniprogram-component'): Shop {
  const dir = fileURLToPath(new URL(`../../fixtures/${fixture}/`, import.meta.url));
  let sandbox: Sandbox | undefined;
  let merchant: ShopMerchant | undefined;
  let mp: MiniProgram | undefined;
  beforeAll(async () => {
    sandbox = await startSandbox();
    const { startMerchant } = (await import(`../../fixtures/${fixture}/server.mjs`)) as { startMerchant(o: { sandbox: Sandbox }): Promise<ShopMerchant> };
    merchant = await startMerchant({ sandbox });
  });
  afterEach(() => {
    mp?.close();
    mp = undefined;
  });
  afterAll(async () => {
    await merchant?.close();
    await sandbox?.close();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useShop: the shop starts in beforeAll; use it inside a test');
    return value;
  };
  const shop: Shop = {
    get sandbox() {
      return started(sandbox);
    },
    get merchant() {
      return started(merchant);
    },
    load: async (options = {}) => (mp = await createMiniProgram({ dir, sandbox: shop.sandbox, hosts: { [SHOP_HOST]: shop.merchant.url }, ...options })),
    open: async (options = {}, query = {}) => {
      const opened = await shop.load(options);
      await opened.launch({ query });
      return opened;
    },
  };
  return shop;
}
