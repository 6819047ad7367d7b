/*
 * payjs-sandbox: a stand-in for WeChat's WeixinJSBridge, so that a merchant's JSAPI page can pay
 * outside WeChat. Include it where WeChat would inject the bridge:
 *
 *   <script src="http://127.0.0.1:3000/sandbox/weixin-jsbridge.js"></script>   (?lang=en for English)
 *
 * then call WeixinJSBridge.invoke('getBrandWCPayRequest', jsapi, callback) with the `jsapi` object
 * of /api/jsapi, unchanged. A sandbox pay sheet opens over the page (Pay / Fail / Cancel) and the
 * callback gets { err_msg: 'get_brand_wcpay_request:ok' | ':fail' | ':cancel' } as in WeChat.
 * The document gets the 'WeixinJSBridgeReady' event once the bridge is there, as in WeChat.
 */
(function () {
  'use strict';
  if (window.WeixinJSBridge && !window.WeixinJSBridge.payjsSandbox) return; // inside WeChat: the real one

  var TEXT = {
    zh: {
      title: '微信支付', sandbox: 'PAYJS 沙箱 · 不会产生真实扣款', pay: '确认支付', fail: '支付失败', cancel: '取消',
      closed: '微信会在此时关闭页面（WeixinJSBridge.call("closeWindow")）'
    },
    en: {
      title: 'WeChat Pay', sandbox: 'PAYJS sandbox · no real money moves', pay: 'Pay', fail: 'Fail', cancel: 'Cancel',
      closed: 'WeChat closes the page now (WeixinJSBridge.call("closeWindow"))'
    }
  };
  var PAY = 'getBrandWCPayRequest';
  var PAY_FAIL = 'get_brand_wcpay_request:fail';
  var self = document.currentScript;
  var src = new URL(self ? self.src : '/sandbox/weixin-jsbridge.js', location.href);
  var SANDBOX = src.origin;
  var text = TEXT[src.searchParams.get('lang') === 'en' ? 'en' : 'zh'];
  var open = false;

  function later(fn, value) { setTimeout(function () { fn(value); }, 0); }

  function post(path, body) {
    return fetch(SANDBOX + '/sandbox/jsapi/' + path, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body)
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (!res.ok) throw new Error(data.message || ('HTTP ' + res.status));
        return data;
      });
    });
  }

  function el(tag, css, content) {
    var node = document.createElement(tag);
    if (css) node.setAttribute('style', css);
    if (content !== undefined) node.textContent = String(content); // never HTML: the body is the merchant's
    return node;
  }

  // The sheet lives in a shadow root, so the merchant's CSS and the sheet's do not mix.
  function overlay(testid) {
    var host = el('div', 'position:fixed;inset:0;z-index:2147483647');
    host.setAttribute('data-testid', testid);
    var root = host.attachShadow({ mode: 'open' });
    var backdrop = el('div', 'position:absolute;inset:0;background:rgba(0,0,0,.5);display:flex;align-items:flex-end;justify-content:center;font-family:-apple-system,"PingFang SC","Microsoft YaHei",sans-serif');
    root.appendChild(backdrop);
    (document.body || document.documentElement).appendChild(host);
    return { host: host, backdrop: backdrop };
  }

  function button(label, action, color, textColor) {
    var b = el('button', 'display:block;width:100%;padding:13px;margin-top:10px;font-size:17px;border:0;border-radius:8px;cursor:pointer;background:' + color + ';color:' + textColor, label);
    b.type = 'button';
    b.setAttribute('data-testid', 'payjs-sandbox-' + action);
    b.setAttribute('data-action', action);
    return b;
  }

  function showSheet(info, jsapi, done) {
    var o = overlay('payjs-sandbox-sheet');
    var sheet = el('div', 'background:#fff;color:#191919;width:100%;max-width:420px;border-radius:12px 12px 0 0;padding:20px 20px 28px;text-align:center');
    sheet.appendChild(el('div', 'font-weight:600;font-size:16px', text.title));
    sheet.appendChild(el('div', 'color:#8a6d00;font-size:12px;margin-top:4px', text.sandbox));
    sheet.appendChild(el('div', 'margin-top:16px;font-size:15px', info.merchant));
    var amount = el('div', 'font-size:36px;font-weight:600;margin:8px 0', '¥' + (info.total_fee / 100).toFixed(2));
    amount.setAttribute('data-testid', 'payjs-sandbox-amount');
    sheet.appendChild(amount);
    var body = el('div', 'color:#888;font-size:14px;word-break:break-all', info.body);
    body.setAttribute('data-testid', 'payjs-sandbox-body');
    sheet.appendChild(body);
    var buttons = [button(text.pay, 'pay', '#07c160', '#fff'), button(text.fail, 'fail', '#fa5151', '#fff'), button(text.cancel, 'cancel', '#f2f2f2', '#191919')];
    buttons.forEach(function (b) {
      sheet.appendChild(b);
      b.addEventListener('click', function () {
        buttons.forEach(function (x) { x.disabled = true; });
        post('pay', { jsapi: jsapi, action: b.getAttribute('data-action') }).then(function (answer) {
          o.host.remove();
          done({ err_msg: answer.err_msg });
        }, function (err) {
          o.host.remove();
          fail(done, err);
        });
      });
    });
    o.backdrop.appendChild(sheet);
  }

  function fail(done, err) {
    console.error('payjs-sandbox WeixinJSBridge: ' + err.message);
    done({ err_msg: PAY_FAIL, err_desc: err.message });
  }

  var bridge = {
    payjsSandbox: true,
    invoke: function (name, args, callback) {
      var cb = function (res) {
        open = false;
        if (typeof callback === 'function') callback(res);
      };
      if (name !== PAY) {
        console.warn('payjs-sandbox WeixinJSBridge: ' + name + ' is not simulated');
        return later(callback || function () {}, { err_msg: name + ':fail', err_desc: 'not simulated by payjs-sandbox' });
      }
      if (open) return later(callback || function () {}, { err_msg: PAY_FAIL, err_desc: 'a payment is already in progress' });
      open = true;
      post('order', { jsapi: args }).then(function (info) { showSheet(info, args, cb); }, function (err) { fail(cb, err); });
    },
    call: function (name) {
      if (name !== 'closeWindow') return console.warn('payjs-sandbox WeixinJSBridge: ' + name + ' is not simulated');
      var o = overlay('payjs-sandbox-closed');
      o.backdrop.style.background = '#ededed';
      o.backdrop.style.alignItems = 'center';
      o.backdrop.appendChild(el('div', 'padding:24px;color:#888;text-align:center', text.closed));
    },
    on: function () {}
  };
  window.WeixinJSBridge = bridge;

  function ready() {
    var event;
    try {
      event = new Event('WeixinJSBridgeReady');
    } catch (e) {
      event = document.createEvent('Event');
      event.initEvent('WeixinJSBridgeReady', false, false);
    }
    document.dispatchEvent(event);
  }
  // After the page's own scripts have run, so a listener added below this script still hears it.
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', ready);
  else setTimeout(ready, 0);
})();
