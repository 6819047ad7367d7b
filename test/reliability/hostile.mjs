// Hostile HTTP requests for the fuzz test (test/fuzz.test.ts) and the 100k-request script
// (test/reliability/fuzz.mjs): fast-check arbitraries that build raw requests (method, path bytes,
// headers, body bytes), a sender on node:http that reports a dropped connection instead of
// hiding it, and the judge that says which answers a PAYJS client may get.
//
// Nothing here imports the sandbox: the caller hands in `sign` (from src/ or dist/), so the
// same generators serve the vitest test and the script that runs against the CLI.
import { request } from 'node:http';
import { gzipSync, deflateSync } from 'node:zlib';

/** Every path of the PAYJS surface (README, "The PAYJS API"). */
export const API = ['native', 'micropay', 'jsapi', 'cashier', 'mweb', 'facepay', 'check', 'close', 'reverse', 'refund', 'openid', 'user', 'info', 'bank', 'complaint', 'iplist'];
export const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'];
export const ACTIONS = ['pay', 'fail', 'cancel', 'close', 'refund', 'reverse', 'expire'];
const CREATE = ['native', 'micropay', 'jsapi', 'cashier', 'mweb', 'facepay'];
const BY_ORDER = ['check', 'close', 'reverse', 'refund'];
const REDIRECTS = ['cashier', 'openid'];

/**
 * Bugs this fuzz found (docs/reliability.md, "Bugs found"), all fixed: every flag is false and the
 * generators cover every input. While a bug is open its flag is true and the generators keep away
 * from the input that trips it, so that the other properties keep being tested meanwhile; the bug
 * has its own test in test/fuzz.test.ts.
 */
export const AVOID = {
  /** Bug 1: /__sandbox/clock/advance past the Date range (8.64e15 ms) breaks every later call. */
  clockRange: false,
  /** Bug 2: /__sandbox/restore takes records of any shape (null, numbers) and fails half-way. */
  restoreShape: false,
  /** Bug 3: /__sandbox/seed takes orders of any shape (not a list, null, status "constructor"). */
  seedShape: false,
  /** Bug 4: values nested ~3,000 levels answer 500 (sign.ts flatten); ~5,000 break
   * /__sandbox/journal, /snapshot and close(). */
  deepNesting: false,
  /** Bug 5: a control-API body that does not inflate (bad gzip/deflate) answers 500. */
  controlInflate: false,
  /** Bug 6: /__sandbox/seed refused half-way keeps the orders it created before the refusal. */
  seedAtomic: false,
  /** Bug 7: a JSON string with a lone surrogate ("\ud800") and a wrong sign answers 500. */
  loneSurrogate: false,
};

// --- values ----------------------------------------------------------------------------------

const NASTY = ['', ' ', '0', '-1', '1.5', '1e3', '01', 'true', 'null', 'undefined', 'NaN', '%zz', '%E4%B8', '%', '%%', '+', '&', '=', '\u0000', '\r\n', '测试订单', '<script>alert(1)</script>', '"\'><img src=x onerror=alert(1)>', '${7*7}', '../../etc/passwd', 'a'.repeat(300), '\ud800', '\u202e', 'ｍｃｈｉｄ'];
const FIELD_NAMES = ['mchid', 'total_fee', 'out_trade_no', 'body', 'attach', 'notify_url', 'callback_url', 'type', 'time_expire', 'auth_code', 'openid', 'face_code', 'payjs_order_id', 'bank', 'auto', 'hide', 'logo', 'no_credit', 'sign', 'nonce'];
const PROTO_NAMES = ['__proto__', 'constructor', 'prototype', '__proto__[polluted]', 'constructor[prototype][polluted]', 'toString', 'hasOwnProperty', 'valueOf'];
const ARRAY_NAMES = ['a[]', 'a[b]', 'total_fee[]', 'mchid[0]', 'out_trade_no[a]', 'a.b', 'a[][]', 'sign[]'];

/** `arb` in `percent` % of the cases, else undefined (fc.option's `freq` is the other way round:
 * the chance of nil). */
const maybe = (fc, arb, percent) => fc.oneof({ weight: 100 - percent, arbitrary: fc.constant(undefined) }, { weight: percent, arbitrary: arb });

/** @param {typeof import('fast-check')} fc */
export function values(fc) {
  const wellFormed = (s) => (AVOID.loneSurrogate ? s.toWellFormed() : s);
  const text = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...NASTY) },
    { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
    { weight: 1, arbitrary: fc.integer().map(String) },
  ).map(wellFormed);
  const name = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...FIELD_NAMES) },
    { weight: 2, arbitrary: fc.constantFrom(...PROTO_NAMES) },
    { weight: 2, arbitrary: fc.constantFrom(...ARRAY_NAMES) },
    { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
  ).map(wellFormed);
  const scalar = fc.oneof(
    { weight: 4, arbitrary: text },
    { weight: 1, arbitrary: fc.integer() },
    { weight: 1, arbitrary: fc.double() },
    { weight: 1, arbitrary: fc.boolean() },
    { weight: 1, arbitrary: fc.constant(null) },
  );
  const json = fc.oneof(
    { weight: 5, arbitrary: scalar },
    { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) },
    { weight: 1, arbitrary: fc.dictionary(name, scalar, { maxKeys: 3 }) },
  );
  return { text, name, scalar, json };
}

// --- bodies ----------------------------------------------------------------------------------

/** A string nested `depth` levels: arrays, objects, or both. */
export function deepJson(depth, kind = 'array') {
  if (kind === 'array') return `${'['.repeat(depth)}${']'.repeat(depth)}`;
  if (kind === 'object') return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  return `${'{"a":['.repeat(depth)}1${']}'.repeat(depth)}`;
}

const CONTENT_TYPES = [null, 'text/plain', 'application/xml', 'application/octet-stream', 'application/json; charset=utf-16', 'application/json; charset=x-unknown', 'application/x-www-form-urlencoded; charset=latin1', 'multipart/form-data', 'multipart/form-data; boundary=', 'multipart/mixed; boundary=b', 'text/html; charset=utf-8', 'application/json', 'application/x-www-form-urlencoded', '*/*', 'application/vnd.api+json', ';;;'];

// A lone surrogate cannot be percent-encoded: it goes as U+FFFD, as Buffer.from(s) writes it.
const pct = (s) => encodeURIComponent(s.toWellFormed());
/** Bytes of a string as latin1 characters: what node:http writes as-is into a request line. */
const asLatin1 = (s) => Buffer.from(s, 'utf8').toString('latin1');
/** A value for a path or query: percent-encoded, except that a value carrying its own (maybe
 * broken) percent-escapes goes raw, as raw UTF-8 bytes. */
const segment = (s) => (s.includes('%') ? [...Buffer.from(s, 'utf8')].map((b) => (b > 0x20 && b < 0x7f && !'#?&/'.includes(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('') : pct(s));
/** node:http refuses a request line with spaces or control characters: escape just those, so
 * every other byte (0x21–0xff, broken escapes, invalid UTF-8) reaches the server as generated. */
export const requestLine = (path) => path.replace(/[^\u0021-\u00ff]/g, (c) => pct(c));

/** How one `name=value` pair is written into a query string or a form. */
function pair(name, value, how) {
  const v = value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (how === 'raw') return `${name}=${v}`;
  if (how === 'broken') return `${pct(name)}=${pct(v)}%${['zz', 'E4%B8', '', 'F', 'C3'][v.length % 5]}`;
  if (how === 'plus') return `${pct(name).replace(/%20/g, '+')}=${pct(v).replace(/%20/g, '+')}`;
  return `${pct(name)}=${pct(v)}`;
}

/** Flattens params for a form or query: lists as `a[]=` or repeated keys, objects as `a[b]=`. */
function flatPairs(params, arrays) {
  const out = [];
  for (const [k, v] of Object.entries(params)) {
    if (Array.isArray(v)) for (const x of v) out.push([arrays === 'brackets' ? `${k}[]` : k, x]);
    else if (v && typeof v === 'object') for (const [ik, iv] of Object.entries(v)) out.push([`${k}[${ik}]`, iv]);
    else out.push([k, v]);
  }
  return out;
}

function multipart(pairs, boundary, broken) {
  let s = '';
  for (const [k, v] of pairs) s += `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v)}\r\n`;
  if (broken === 'file') s += `--${boundary}\r\nContent-Disposition: form-data; name="f"; filename="x.txt"\r\nContent-Type: text/plain\r\n\r\nhello\r\n`;
  if (broken === 'no-end') return s.slice(0, Math.max(0, s.length - 3));
  if (broken === 'garbage-headers') return `--${boundary}\r\n\u0000\u0001: ::\r\n\r\nx\r\n--${boundary}--\r\n`;
  if (broken === 'wrong-boundary') return s.replaceAll(boundary, `${boundary}x`) + `--${boundary}x--\r\n`;
  return `${s}--${boundary}--\r\n`;
}

// --- requests --------------------------------------------------------------------------------

let serial = 0;
/** A fresh out_trade_no: refused calls are checked by it (nothing may be stored under it). */
const marker = (prefix = 'F') => `${prefix}${process.pid % 1000}x${++serial}`;

/**
 * The arbitrary of one hostile request.
 * @param {typeof import('fast-check')} fc
 * @param {{ sign: (p: object, key: string) => string, merchants: {mchid: string, key: string}[],
 *   ids: () => string[], notifyUrls: string[], snapshot?: () => unknown }} ctx
 */
export function hostileRequest(fc, ctx) {
  const v = values(fc);
  const [main] = ctx.merchants;
  const orderId = fc.oneof(
    { weight: 4, arbitrary: fc.nat().map((i) => { const ids = ctx.ids(); return ids.length ? ids[i % ids.length] : '2024010112000000123456789'; }) },
    { weight: 1, arbitrary: fc.constantFrom('2024010112000000123456789', '', 'x'.repeat(40), '%E4%B8', '..', '%2F', '%00') },
    { weight: 1, arbitrary: v.text },
  );

  /** Valid-looking params of an endpoint, ready to be spoiled. */
  const base = (endpoint, id) => {
    const m = { mchid: main.mchid };
    if (CREATE.includes(endpoint)) {
      Object.assign(m, { total_fee: 1 + (serial % 500), out_trade_no: marker(), body: '测试订单', notify_url: ctx.notifyUrls[serial % ctx.notifyUrls.length] });
      if (endpoint === 'micropay') m.auth_code = '134567890123456789';
      if (endpoint === 'jsapi' || endpoint === 'facepay') m.openid = 'o7LFAwFuzzPayer0000000000000';
      if (endpoint === 'facepay') m.face_code = 'face';
      if (endpoint === 'cashier' || endpoint === 'mweb') m.callback_url = 'http://merchant.test/back';
    } else if (BY_ORDER.includes(endpoint)) {
      m.payjs_order_id = id;
    } else if (endpoint === 'openid') {
      m.callback_url = 'http://merchant.test/cb?a=1';
    } else if (endpoint === 'user') {
      m.openid = 'o7LFAwFuzzPayer0000000000000';
    } else if (endpoint === 'bank') {
      m.bank = 'CMB_DEBIT';
    }
    return m;
  };

  const spoil = fc.record({
    drop: maybe(fc, fc.constantFrom(...FIELD_NAMES), 20),
    set: fc.oneof(fc.constant([]), fc.array(fc.tuple(v.name, v.json), { minLength: 1, maxLength: 3 })),
    signing: fc.constantFrom('right', 'right', 'right', 'none', 'wrong-key', 'garbage', 'lower', 'other-merchant'),
  });

  const apiParams = fc.tuple(fc.constantFrom(...API), orderId, spoil).map(([endpoint, id, s]) => {
    const p = base(endpoint, id);
    if (s.drop) delete p[s.drop];
    // defineProperty: `p.__proto__ = x` would set the prototype, not a field named __proto__.
    for (const [k, val] of s.set) Object.defineProperty(p, k, { value: val, enumerable: true, writable: true, configurable: true });
    // Signed over what will be sent, as a client would (sign() takes strings, numbers, nested values).
    const signable = Object.fromEntries(Object.entries(p).filter(([k]) => k !== 'sign'));
    const other = ctx.merchants[1] ?? main;
    let sign;
    try {
      if (s.signing === 'right' || s.signing === 'lower') sign = ctx.sign(signable, main.key);
      if (s.signing === 'lower') sign = sign.toLowerCase();
      if (s.signing === 'wrong-key') sign = ctx.sign(signable, 'WrongKey');
      if (s.signing === 'other-merchant') sign = ctx.sign(signable, other.key);
      if (s.signing === 'garbage') sign = 'F'.repeat(32);
    } catch {
      sign = 'unsignable';
    }
    if (sign !== undefined && !('sign' in Object.fromEntries(s.set))) p.sign = sign;
    return { endpoint, params: p };
  });

  const encoding = fc.record({
    transport: fc.constantFrom('query', 'form', 'form', 'json', 'json', 'multipart'),
    pairs: fc.constantFrom('pct', 'pct', 'raw', 'broken', 'plus'),
    arrays: fc.constantFrom('brackets', 'repeat'),
    duplicate: fc.boolean(),
    contentType: maybe(fc, fc.constantFrom(...CONTENT_TYPES), 15),
    contentEncoding: maybe(fc, fc.constantFrom('gzip', 'gzip-garbage', 'deflate-garbage', 'br-garbage', 'identity', 'x-unknown'), 10),
    invalidUtf8: maybe(fc, fc.constantFrom(Buffer.from([0xff, 0xfe]), Buffer.from([0xc3]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xe4, 0xb8])), 10),
    shape: maybe(fc, fc.constantFrom('not-object', 'truncated', 'deep', 'huge', 'dup-keys', 'multipart-broken'), 20),
    depth: fc.oneof(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 100, max: AVOID.deepNesting ? 500 : 100_000 })),
    deepKind: fc.constantFrom('array', 'object', 'mixed'),
    hugeBytes: fc.constantFrom(10_000, 500_000, 1024 * 1024 - 64, 1024 * 1024 + 64, 2 * 1024 * 1024),
    broken: fc.constantFrom('no-end', 'garbage-headers', 'wrong-boundary', 'file'),
    method: fc.oneof({ weight: 8, arbitrary: fc.constantFrom('GET', 'POST') }, { weight: 2, arbitrary: fc.constantFrom(...METHODS) }),
    pathNoise: maybe(fc, fc.constantFrom('/', '//', '%00', '%zz', '.json', '/..', '?', '#x', '\u00ff', ';a=b'), 5),
    scenario: maybe(fc, fc.oneof(fc.constantFrom('pay=auto', 'notify=late:30', 'notify=never', 'notify=duplicate:2', 'pay=fail', 'api=delay:1', 'nonsense', 'api=status:abc', 'pay=auto:x', ''), v.text), 10),
  });

  const api = fc.tuple(apiParams, encoding).map(([{ endpoint, params }, e]) => encodeApi(endpoint, params, e));
  const control = controlRequest(fc, v, orderId, ctx);
  return fc.oneof({ weight: 6, arbitrary: api }, { weight: 4, arbitrary: control });
}

/** Writes API params into a raw request as the encoding says. */
function encodeApi(endpoint, params, e) {
  const headers = {};
  let path = `/api/${endpoint}`;
  let body;
  const pairs = flatPairs(params, e.arrays);
  if (e.duplicate && pairs.length) pairs.push(pairs[0]);
  const query = () => pairs.map(([k, val]) => asLatin1(pair(k, val, e.pairs))).join('&');
  if (e.transport === 'query') {
    path += `?${query()}`;
  } else if (e.transport === 'form') {
    body = Buffer.from(pairs.map(([k, val]) => pair(k, val, e.pairs)).join('&'), 'utf8');
    headers['content-type'] = 'application/x-www-form-urlencoded';
  } else if (e.transport === 'json') {
    let text = JSON.stringify(params);
    if (e.duplicate) text = text.replace(/^\{/, `{"mchid":"2000000001",`);
    body = Buffer.from(text, 'utf8');
    headers['content-type'] = 'application/json';
  } else {
    const boundary = 'fuzzBoundary7MA4YWxk';
    body = Buffer.from(multipart(pairs, boundary), 'utf8');
    headers['content-type'] = `multipart/form-data; boundary=${boundary}`;
  }
  if (e.shape === 'not-object') { body = Buffer.from(['[1,2]', '"x"', '1', 'null', 'true', '[]'][pairs.length % 6]); headers['content-type'] = 'application/json'; }
  if (e.shape === 'truncated' && body) body = body.subarray(0, Math.floor(body.length / 2));
  if (e.shape === 'deep') { body = Buffer.from(`{"mchid":${JSON.stringify(params.mchid ?? '')},"attach":${deepJson(e.depth, e.deepKind)}}`); headers['content-type'] = 'application/json'; }
  if (e.shape === 'huge') {
    const filler = 'a'.repeat(e.hugeBytes);
    body = e.transport === 'json' ? Buffer.from(JSON.stringify({ ...params, body: filler })) : Buffer.from(`${pairs.map(([k, val]) => pair(k, val, 'pct')).join('&')}&body=${filler}`);
    headers['content-type'] = e.transport === 'json' ? 'application/json' : 'application/x-www-form-urlencoded';
  }
  if (e.shape === 'dup-keys') { body = Buffer.from(`{"mchid":"1","mchid":"1234567890","total_fee":1,"total_fee":"2","__proto__":{"x":1},"constructor":{"prototype":{"y":1}}}`); headers['content-type'] = 'application/json'; }
  if (e.shape === 'multipart-broken') { const b = 'bb'; body = Buffer.from(multipart(pairs, b, e.broken)); headers['content-type'] = `multipart/form-data; boundary=${b}`; }
  if (e.invalidUtf8 && body) body = Buffer.concat([body.subarray(0, body.length >> 1), e.invalidUtf8, body.subarray(body.length >> 1)]);
  // In the query: percent-escaped (reaches the app), or raw bytes (Node's HTTP parser refuses them).
  if (e.invalidUtf8 && !body) path += `${path.includes('?') ? '&' : '?'}x=${e.pairs === 'raw' ? e.invalidUtf8.toString('latin1') : [...e.invalidUtf8].map((b) => `%${b.toString(16).toUpperCase()}`).join('')}`;
  if (e.contentType !== undefined) {
    if (e.contentType === null) delete headers['content-type'];
    else headers['content-type'] = e.contentType;
  }
  if (e.contentEncoding && body) {
    headers['content-encoding'] = e.contentEncoding.replace(/-garbage$/, '');
    if (e.contentEncoding === 'gzip') body = gzipSync(body);
    else if (e.contentEncoding.endsWith('-garbage')) body = Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), body.subarray(0, 64), Buffer.from('garbage')]);
  }
  if (e.pathNoise) path = path.replace(`/api/${endpoint}`, `/api/${endpoint}${e.pathNoise}`);
  if (e.scenario !== undefined) headers['x-payjs-sandbox-scenario'] = asLatin1(e.scenario).replace(/[\r\n\u0000-\u0008\u000a-\u001f\u007f]/g, '');
  return { kind: 'api', endpoint, method: e.method, path, headers, body };
}

/** The control API (/__sandbox/…): orders and actions, scenarios, clock, reset, journal,
 * merchants, seed, restore, notifications, snapshot. Not /events (a stream that never ends). */
function controlRequest(fc, v, orderId, ctx) {
  const jsonValue = v.json;
  const ruleBody = fc.oneof(
    fc.record({
      match: fc.option(fc.oneof(fc.record({ mchid: fc.option(fc.constantFrom('1234567890', '2000000001', 'x'), { nil: undefined }), out_trade_no: fc.option(fc.constantFrom('F*', 'none-*', '?'), { nil: undefined }), endpoint: fc.option(fc.constantFrom('native', 'check', 'refund', 'notify', 'x'), { nil: undefined }), total_fee: fc.option(fc.oneof(fc.integer({ min: 1, max: 500 }), v.text), { nil: undefined }) }), jsonValue), { nil: undefined }),
      tokens: fc.option(fc.oneof(fc.constantFrom('notify=fail', 'pay=auto', 'notify=late:15', 'notify=duplicate:2', 'pay=cancel', 'notify=forged', 'notify=extra-fields', 'api=delay:1', 'nonsense', 'api=status:1000'), v.text, fc.array(v.text, { maxLength: 2 })), { nil: undefined }),
      once: fc.option(fc.boolean(), { nil: undefined }),
      times: fc.option(fc.oneof(fc.integer({ min: -1, max: 3 }), v.scalar), { nil: undefined }),
      sequence: fc.option(fc.oneof(fc.array(fc.constantFrom('notify=fail', '', 'pay=auto', 'x'), { maxLength: 3 }), v.scalar), { nil: undefined }),
    }),
    jsonValue,
  );
  const seconds = AVOID.clockRange
    ? fc.oneof(fc.integer({ min: -10, max: 4000 }), fc.double({ min: -1, max: 1e6, noNaN: true }), v.scalar.map((x) => (typeof x === 'number' && Math.abs(x) > 1e9 ? 1 : x)))
    : fc.oneof(fc.integer({ min: -10, max: 4000 }), fc.double(), fc.constantFrom(1e13, 1e300, Number.MAX_SAFE_INTEGER), v.scalar);
  const merchant = fc.oneof(fc.record({ mchid: fc.oneof(fc.integer({ min: 3000000000, max: 3000009999 }).map(String), v.text), key: fc.oneof(fc.constant('FuzzKey0001'), v.text), name: fc.option(v.text, { nil: undefined }) }), jsonValue);
  const seedOrder = fc.record({
    out_trade_no: fc.oneof(fc.constant(null).map(() => marker('S')), v.scalar),
    total_fee: fc.oneof(fc.integer({ min: 1, max: 1000 }), v.scalar),
    status: fc.option(AVOID.seedShape ? fc.constantFrom('unpaid', 'paid', 'refunded', 'closed') : fc.oneof(fc.constantFrom('unpaid', 'paid', 'refunded', 'closed', 'constructor', '__proto__', 'x'), v.text), { nil: undefined }),
    // micropay and facepay are paid at once: seeding one "closed" is refused after it was created (bug 6).
    channel: fc.option(AVOID.seedShape ? fc.constantFrom(...CREATE.filter((c) => c !== 'cashier' && !(AVOID.seedAtomic && (c === 'micropay' || c === 'facepay')))) : fc.oneof(fc.constantFrom(...CREATE, 'check', 'x', 'constructor'), v.text), { nil: undefined }),
    body: fc.option(v.text, { nil: undefined }),
    openid: fc.option(fc.constantFrom('o7LFAwFuzzPayer0000000000000', ''), { nil: undefined }),
  });
  const seed = AVOID.seedShape
    ? fc.record({ orders: fc.option(fc.array(seedOrder, { maxLength: AVOID.seedAtomic ? 1 : 3 }), { nil: undefined }) })
    : fc.oneof(fc.record({ orders: fc.option(fc.oneof(fc.array(fc.oneof(seedOrder, jsonValue), { maxLength: 3 }), jsonValue), { nil: undefined }), merchants: fc.option(fc.oneof(fc.array(merchant, { maxLength: 2 }), jsonValue), { nil: undefined }) }), jsonValue);
  const restore = AVOID.restoreShape
    ? fc.oneof(fc.constant('snapshot'), fc.record({ version: fc.oneof(fc.constantFrom(0, 2, '1'), v.scalar), collections: jsonValue }), jsonValue.filter((x) => typeof x !== 'object' || x === null || Array.isArray(x)))
    : fc.oneof(fc.constant('snapshot'), fc.record({ version: fc.constantFrom(1, 0, '1'), collections: fc.dictionary(fc.constantFrom('orders', 'notifies', 'scenarios', 'merchants', 'x'), fc.dictionary(v.text, jsonValue, { maxKeys: 2 }), { maxKeys: 3 }) }), jsonValue);
  const q = (pairs) => pairs.filter(([, val]) => val !== undefined).map(([k, val]) => `${pct(k)}=${segment(String(val))}`).join('&');
  const text = fc.option(fc.oneof(v.text, fc.constantFrom('1234567890', 'paid', 'unpaid', 'native', '%zz')), { nil: undefined });

  const w = (weight, arbitrary) => ({ weight, arbitrary });
  const routes = fc.oneof(
    w(5, fc.record({ s: text, m: text, c: text, l: fc.option(fc.oneof(fc.integer({ min: -5, max: 20000 }).map(String), v.text), { nil: undefined }) }).map((x) => ({ method: 'GET', path: `/__sandbox/orders?${q([['status', x.s], ['mchid', x.m], ['channel', x.c], ['limit', x.l]])}` }))),
    w(5, orderId.map((id) => ({ method: 'GET', path: `/__sandbox/orders/${segment(id)}` }))),
    w(5, fc.tuple(orderId, fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...ACTIONS) }, { weight: 1, arbitrary: fc.constantFrom('explode', '', '%zz', 'constructor', '__proto__', 'pay/x') }), fc.option(fc.oneof(fc.record({ openid: fc.oneof(fc.constant('o7LFAwFuzzPayer0000000000000'), v.scalar) }), jsonValue), { nil: undefined }))
      .map(([id, action, body]) => ({ method: 'POST', path: `/__sandbox/orders/${segment(id)}/${action}`, json: body }))),
    w(5, orderId.map((id) => ({ method: 'GET', path: `/__sandbox/orders/${segment(id)}/notifications` }))),
    w(5, orderId.map((id) => ({ method: 'POST', path: `/__sandbox/orders/${segment(id)}/notifications/resend` }))),
    w(5, fc.constant({ method: 'GET', path: '/__sandbox/notifications' })),
    w(5, fc.integer({ min: -5, max: 30 }).map((t) => ({ method: 'GET', path: `/__sandbox/notifications/wait?payjs_order_id=none&timeout=${t}` }))),
    w(5, fc.constant({ method: 'GET', path: '/__sandbox/scenarios' })),
    w(5, ruleBody.map((body) => ({ method: 'POST', path: '/__sandbox/scenarios', json: body }))),
    w(5, fc.constantFrom('s1', 's2', 'nope', '%zz', '').map((id) => ({ method: 'DELETE', path: `/__sandbox/scenarios${id ? `/${id}` : ''}` }))),
    w(5, fc.constant({ method: 'GET', path: '/__sandbox/clock' })),
    w(5, fc.oneof(seconds.map((s) => ({ seconds: s })), jsonValue).map((body) => ({ method: 'POST', path: '/__sandbox/clock/advance', json: body }))),
    w(1, text.map((m) => ({ method: 'POST', path: `/__sandbox/reset${m === undefined ? '' : `?mchid=${segment(m)}`}`, rare: true }))),
    w(5, fc.record({ id: fc.option(orderId, { nil: undefined }), sign: text, endpoint: text }).map((x) => ({ method: 'GET', path: `/__sandbox/journal?${q([['payjs_order_id', x.id], ['sign', x.sign], ['endpoint', x.endpoint]])}` }))),
    w(5, fc.constant({ method: 'GET', path: '/__sandbox/merchants' })),
    w(5, merchant.map((body) => ({ method: 'POST', path: '/__sandbox/merchants', json: body }))),
    w(5, seed.map((body) => ({ method: 'POST', path: '/__sandbox/seed', json: body }))),
    w(5, fc.constant({ method: 'GET', path: '/__sandbox/snapshot' })),
    w(1, restore.map((body) => ({ method: 'POST', path: '/__sandbox/restore', json: body === 'snapshot' ? (ctx.snapshot?.() ?? {}) : body, rare: true }))),
  );
  const wrap = fc.record({
    method: maybe(fc, fc.constantFrom(...METHODS), 10),
    contentType: maybe(fc, fc.constantFrom(...CONTENT_TYPES), 10),
    raw: maybe(fc, fc.oneof(fc.constantFrom('{', '{"seconds":', 'null', '[]', '"x"', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}'), fc.integer({ min: 10, max: AVOID.deepNesting ? 500 : 100_000 }).map((d) => `{"seconds":1,"x":${deepJson(d, 'mixed')}}`)), 10),
    gzip: maybe(fc, fc.constantFrom('gzip', 'deflate', ...(AVOID.controlInflate ? [] : ['gzip-garbage', 'deflate-garbage', 'gzip-truncated'])), 8),
  });
  return fc.tuple(routes, wrap).map(([r, w]) => {
    const headers = {};
    let body;
    if (r.json !== undefined) {
      body = Buffer.from(JSON.stringify(r.json) ?? 'null', 'utf8');
      headers['content-type'] = 'application/json';
    }
    if (w.raw !== undefined && r.method === 'POST') {
      body = Buffer.from(w.raw);
      headers['content-type'] = 'application/json';
    }
    if (w.contentType !== undefined) {
      if (w.contentType === null) delete headers['content-type'];
      else headers['content-type'] = w.contentType;
    }
    if (w.gzip && body) {
      headers['content-encoding'] = w.gzip.startsWith('deflate') ? 'deflate' : 'gzip';
      body =
        w.gzip === 'gzip' ? gzipSync(body)
        : w.gzip === 'deflate' ? deflateSync(body)
        : w.gzip === 'gzip-truncated' ? gzipSync(body).subarray(0, 12)
        : Buffer.concat([Buffer.from(w.gzip === 'gzip-garbage' ? [0x1f, 0x8b] : [0x78]), Buffer.from('not compressed at all')]);
    }
    // Reset and restore wipe the orders; keep them rare so there is state to act on.
    const method = r.rare ? r.method : (w.method ?? r.method);
    return { kind: 'control', method, path: r.path, headers, body, rare: !!r.rare };
  });
}

// --- sending ---------------------------------------------------------------------------------

/**
 * Sends one raw request and resolves with the complete answer, or `{ error }` when the
 * connection dropped, the answer was cut, or nothing came within `timeoutMs`.
 * @returns {Promise<{status: number, headers: import('node:http').IncomingHttpHeaders, body: Buffer} | {error: string}>}
 */
export function sendRaw(base, req, { timeoutMs = 15_000, agent = false } = {}) {
  const url = new URL(base);
  return new Promise((resolve) => {
    let settled = false;
    const done = (r) => {
      if (!settled) (settled = true), resolve(r);
    };
    const headers = { ...req.headers, ...(req.body ? { 'content-length': String(req.body.length) } : {}) };
    let r;
    try {
      r = request({ host: url.hostname, port: url.port, method: req.method, path: requestLine(req.path), headers, agent }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => done(res.complete ? { status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) } : { error: 'answer cut short' }));
        res.on('aborted', () => done({ error: 'answer aborted' }));
        res.on('error', (e) => done({ error: `answer: ${e.code ?? e.message}` }));
      });
    } catch (e) {
      // The client refused to write it (a character node:http will not put in a request line):
      // not a request the server saw.
      done({ skipped: e.code ?? e.message });
      return;
    }
    r.setTimeout(timeoutMs, () => r.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'TIMEOUT' })));
    r.on('error', (e) => {
      // A keep-alive socket the server had already closed (Node's documented keep-alive race):
      // the request never reached the server; send it again on a new connection, once.
      if (r.reusedSocket && (e.code === 'ECONNRESET' || e.code === 'EPIPE') && !settled) {
        settled = true;
        sendRaw(base, req, { timeoutMs, agent: false }).then((again) => resolve({ ...again, retried: true }));
        return;
      }
      done({ error: e.code ?? e.message });
    });
    r.end(req.body);
  });
}

// --- judging ---------------------------------------------------------------------------------

const ENVELOPE_KEYS = 'msg,return_code,return_msg,status';
const DUPLICATE_REFUND_KEYS = 'out_trade_no,payjs_order_id,refund,return_code,return_msg,transaction_id';

/** The endpoint a request path names exactly (`/api/native?…` → native), or undefined. */
export function apiEndpoint(path) {
  const m = /^\/api\/([a-z]+)\/?(?:[?#]|$)/.exec(path);
  return m && API.includes(m[1]) ? m[1] : undefined;
}

/**
 * What an answer is, and what is wrong with it (`violations`, empty when fine).
 * `class`: envelope | signed | duplicate-refund | redirect | control-ok | control-refused | other.
 * @param {{ verify: (body: object, key: string) => boolean, merchants: {key: string}[] }} ctx
 */
export function judge(req, res, ctx) {
  if ('skipped' in res) return { class: 'skipped', refused: true, violations: [] };
  // Bytes outside ASCII in the request target are not HTTP (RFC 9112 §3.2): Node's parser answers
  // 400 Bad Request, empty, and closes, before the sandbox sees anything; a client still sending a
  // large body then often gets a reset instead of the 400. Nothing else may look so.
  const notHttp = /[^\u0021-\u007e]/.test(requestLine(req.path));
  if ('error' in res && notHttp && /^(ECONNRESET|EPIPE)$/.test(res.error)) return { class: 'not-http', refused: true, violations: [] };
  if ('error' in res) return { class: 'dropped', refused: false, violations: [`no complete HTTP response (${res.error})`] };
  if (res.status === 400 && res.body.length === 0 && notHttp) return { class: 'not-http', refused: true, violations: [] };
  const violations = [];
  if (res.status >= 500) violations.push(`HTTP ${res.status}: ${res.body.toString('utf8').slice(0, 200)}`);
  const isApi = req.path.startsWith('/api/');
  const text = res.body.toString('utf8');
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (isApi) {
    if (req.method !== 'GET' && req.method !== 'POST') return { class: 'api-method', refused: true, violations };
    const endpoint = apiEndpoint(req.path);
    if (res.status === 302) {
      if (!endpoint || !REDIRECTS.includes(endpoint)) violations.push(`302 from /api/${endpoint ?? '?'}, only cashier and openid redirect`);
      if (!res.headers.location) violations.push('302 without Location');
      return { class: 'redirect', refused: false, violations };
    }
    if (res.status !== 200) violations.push(`HTTP ${res.status} on the PAYJS surface (refusals are 200 + envelope)`);
    if (!json || typeof json !== 'object' || Array.isArray(json)) {
      violations.push(`not a JSON object: ${text.slice(0, 120)}`);
      return { class: 'other', refused: false, violations };
    }
    const keys = Object.keys(json);
    if (keys.join(',') === ENVELOPE_KEYS) {
      if (json.return_code !== 0 || json.status !== 0 || typeof json.msg !== 'string' || json.msg !== json.return_msg || json.msg === '') violations.push(`bad envelope ${text.slice(0, 160)}`);
      return { class: 'envelope', refused: true, violations };
    }
    if (typeof json.sign === 'string') {
      if (keys[keys.length - 1] !== 'sign') violations.push('sign is not the last key');
      if (!ctx.merchants.some((m) => ctx.verify(json, m.key))) violations.push(`signed answer that verifies with no merchant key: ${text.slice(0, 160)}`);
      if (!endpoint) violations.push(`signed answer from a path that names no endpoint: ${req.path.slice(0, 60)}`);
      return { class: 'signed', refused: false, violations };
    }
    if (endpoint === 'refund' && keys.join(',') === DUPLICATE_REFUND_KEYS && json.refund === '1' && json.return_code === 1) {
      return { class: 'duplicate-refund', refused: true, violations };
    }
    violations.push(`neither an envelope nor a signed answer: ${text.slice(0, 160)}`);
    return { class: 'other', refused: false, violations };
  }
  // The control API: JSON whenever it says JSON (HEAD and 204 carry nothing).
  const type = String(res.headers['content-type'] ?? '');
  if (req.method !== 'HEAD' && res.status !== 204 && type.includes('json') && json === undefined) violations.push(`content-type ${type} but the body does not parse: ${text.slice(0, 120)}`);
  return { class: res.status >= 400 ? 'control-refused' : 'control-ok', refused: res.status >= 400, violations };
}
