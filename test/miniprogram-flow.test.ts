/** The PAYJS mini-program flow end to end (docs/protocol.md §12): the example mini-program in
 * fixtures/miniprogram runs in the wx harness against a real sandbox, a real merchant back end and
 * real notifies. */
import { describe, expect, it } from 'vitest';
import type { ShowOrder } from '../src/miniprogram/index.js';
import { useShop } from './support/miniprogram-shop.js';

const shop = useShop('miniprogram');
const open = (showOrder: ShowOrder = 'app-first', query: Record<string, string> = {}) => shop.open({ showOrder }, query);

describe('the example mini-program pays through the PAYJS mini-program', () => {
  it.each<ShowOrder>(['app-first', 'page-first'])('pay: the back end signs, the app jumps, PAYJS pays, the page shows paid (%s)', async (showOrder) => {
    const mp = await open(showOrder);
    await mp.tap('onPay');
    const jump = mp.payjs.pending!;
    expect(jump).toMatchObject({ appId: 'wx959c8c1fb2d877b5', path: 'pages/pay' });
    expect(Object.keys(jump.extraData as object).sort()).toEqual(['body', 'mchid', 'nonce', 'notify_url', 'out_trade_no', 'sign', 'total_fee']);
    expect(mp.currentPage().data.status).toBe('paying');

    const { onShowOptions, order } = await mp.payjs.pay();
    expect(onShowOptions).toMatchObject({ scene: 1038, path: 'pages/pay/pay', referrerInfo: { appId: 'wx959c8c1fb2d877b5', extraData: { success: true, resultCode: 'SUCCESS' } } });
    expect(order).toMatchObject({ channel: 'miniprogram', status: 'paid' });
    expect(mp.currentPage().data).toMatchObject({ status: 'paid', payjsOrderId: order!.payjs_order_id });

    // The notify reaches the merchant and verifies.
    await shop.sandbox.waitForNotify({ payjs_order_id: order!.payjs_order_id });
    const outTradeNo = mp.currentPage().data.outTradeNo as string;
    expect(shop.merchant.notifies.find((n) => n.fields.out_trade_no === outTradeNo)?.verified).toBe(true);
    expect(shop.merchant.orders.get(outTradeNo)?.status).toBe('paid');
  });

  it.each<ShowOrder>(['app-first', 'page-first'])('cancel: the page shows cancelled and the order stays unpaid (%s)', async (showOrder) => {
    const mp = await open(showOrder);
    await mp.tap('onPay');
    const { onShowOptions, order } = await mp.payjs.cancel();
    expect(onShowOptions.referrerInfo.extraData).toMatchObject({ success: false, resultCode: 'CANCEL', payjsOrderId: order!.payjs_order_id });
    expect(mp.currentPage().data.status).toBe('cancelled');
    const held = await shop.sandbox.order(order!.payjs_order_id);
    expect(held?.status).toBe('unpaid');
    expect(held?.history.map((h) => h.event)).toEqual(['create', 'pay_cancelled']);
    expect(shop.merchant.orders.get(mp.currentPage().data.outTradeNo as string)?.status).toBe('unpaid');
  });

  it('fail: the payer fails to pay, the page shows failed', async () => {
    const mp = await open();
    await mp.tap('onPay');
    await mp.payjs.fail();
    expect(mp.currentPage().data).toMatchObject({ status: 'failed', message: '支付失败' });
  });

  it('a magic amount (502, pay=fail) makes Pay fail inside the PAYJS mini-program too', async () => {
    const mp = await open('app-first', { total_fee: '502' });
    await mp.tap('onPay');
    const { order } = await mp.payjs.pay();
    expect(order?.status).toBe('unpaid');
    expect(mp.currentPage().data.status).toBe('failed');
  });

  it('the app goes to the background during the jump and comes back with scene 1038', async () => {
    const mp = await open();
    expect(mp.wx.getEnterOptionsSync()).toMatchObject({ scene: 1001 });
    await mp.tap('onPay');
    await mp.payjs.pay();
    expect(mp.wx.getEnterOptionsSync()).toMatchObject({ scene: 1038, referrerInfo: { appId: 'wx959c8c1fb2d877b5' } });
    expect(mp.wx.getLaunchOptionsSync()).toMatchObject({ scene: 1001, path: 'pages/pay/pay' });
    expect(mp.ui.map((u) => u.api)).toEqual(['showLoading', 'hideLoading']);
    expect(mp.requests.map((r) => `${r.method} ${r.statusCode}`)).toEqual(['POST 200', 'GET 200']);
  });
});
