/** The second example (fixtures/miniprogram-component): a payjs component in the page's WXML,
 * driven through its rendered view only — no component created by hand, no fixture code touched. */
import { describe, expect, it } from 'vitest';
import { eachShowOrder } from '../src/testing/index.js';
import { useShop } from './support/miniprogram-shop.js';

const shop = useShop('miniprogram-component');
const open = shop.open;

describe('a payjs component in WXML', () => {
  eachShowOrder('pay: the tap shows the component, it jumps, PAYJS pays, bind:success reaches the page', async (showOrder) => {
    const mp = await open({ showOrder });
    expect(mp.text()).toContain('¥0.01');
    expect(mp.findAll('payjs')).toHaveLength(0);
    await mp.find('.pay-button').tap();
    expect(mp.find('payjs').component?.data.params).toMatchObject({ mchid: '1234567890', total_fee: 1 });
    expect(mp.payjs.pending?.extraData).toMatchObject({ mchid: '1234567890', sign: expect.any(String) });
    const { order } = await mp.payjs.pay();
    expect(order?.status).toBe('paid');
    expect(mp.text()).toContain('支付成功');
    expect(mp.findAll('payjs')).toHaveLength(0); // bindcomplete → preparePay false → detached
    expect(shop.merchant.orders.get(order!.out_trade_no)?.status).toBe('paid');
  }, it);

  it('fail and cancel arrive through bindfail with the PAYJS result as detail', async () => {
    const mp = await open();
    await mp.find('.pay-button').tap();
    await mp.payjs.fail();
    expect(mp.find('.result').text).toBe('支付失败：支付失败');
    await mp.find('.pay-button').tap();
    await mp.payjs.cancel();
    expect(mp.find('.result').text).toBe('已取消支付');
    expect(mp.findAll('.order').map((o) => o.text)).toEqual([expect.stringMatching(/^1\. MP\d+ failed$/), expect.stringMatching(/^2\. MP\d+ cancelled$/)]);
  });

  it('two payments in one run: the component is attached anew and listens only while attached', async () => {
    const mp = await open();
    for (let i = 0; i < 2; i++) {
      await mp.find('.pay-button').tap();
      await mp.payjs.pay();
    }
    const orders = mp.findAll('.order');
    expect(orders.map((o) => o.text)).toEqual([expect.stringMatching(/paid$/), expect.stringMatching(/paid$/)]);
    expect(orders[0].dataset.no).not.toBe(orders[1].dataset.no);
    expect(mp.events.filter((e) => e.name === 'success')).toHaveLength(2); // one listener per attached component
  });

  it('the component is detached when its wx:if turns false, and stops listening to onAppShow', async () => {
    const mp = await open();
    await mp.find('.pay-button').tap();
    const component = mp.find('payjs').component!;
    mp.currentPage().setData({ preparePay: false });
    expect(mp.findAll('payjs')).toHaveLength(0);
    await mp.payjs.pay(); // the payer pays anyway; no component hears the return
    expect(mp.events.filter((e) => e.name === 'success')).toEqual([]);
    expect(mp.text()).not.toContain('支付成功');
    expect(component.data.params).toMatchObject({ mchid: '1234567890' });
  });

  it('the navigator fallback: a jump outside a tap fails, bind:navigateFailed shows the fallback, its tap jumps', async () => {
    const mp = await open({ userTapRequired: true });
    await mp.find('.pay-button').tap(); // the jump from the component's attached is no user tap
    expect(mp.payjs.pending).toBeUndefined();
    expect(mp.find('.tip').text).toBe('自动跳转未成功，请点击下方按钮');
    expect(mp.find('payjs .payjs-navigator').attrs).toMatchObject({ target: 'miniProgram', 'app-id': 'wx959c8c1fb2d877b5', path: 'pages/pay' });
    await mp.find('.payjs-navigator').tap();
    expect(mp.payjs.pending?.extraData).toMatchObject({ mchid: '1234567890' });
    await mp.payjs.pay();
    expect(mp.text()).toContain('支付成功');
  });

  it('a failed find lists what the page has', async () => {
    const mp = await open();
    expect(() => mp.find('.pay-btn')).toThrow(/find\('\.pay-btn'\): nothing matches on pages\/index\/index; it has .*button\.pay-button\[data-fee=1\]/);
  });
});
