import * as crypto from 'node:crypto';

/** A value as it travels in a PAYJS request, answer or notify. */
export type ParamValue = string | number | boolean | null | undefined | ParamValue[] | { [k: string]: ParamValue };
export type Params = Record<string, ParamValue>;

/** Variations of the canonical string that clients get wrong; used to explain a mismatch. */
interface Variant {
  /** Keep the order the parameters came in instead of sorting them. */
  unsorted?: boolean;
  keepEmpty?: boolean;
  dropZero?: boolean;
  encode?: (v: string) => string;
}

const isEmpty = (v: ParamValue) => v === null || v === undefined || v === '';
const scalar = (v: string | number | boolean) => (typeof v === 'boolean' ? (v ? '1' : '0') : String(v));

// Nested values are flattened like PHP http_build_query: `jsapi[appId]=…`, inner keys in ASCII
// order so PHP (insertion order) and sorting clients agree (docs/protocol.md §3.2, Example D).
function flatten(name: string, v: ParamValue, out: [string, string][], variant: Variant) {
  if (v === null || v === undefined) return;
  if (Array.isArray(v)) {
    v.forEach((item, i) => flatten(`${name}[${i}]`, item, out, variant));
    return;
  }
  if (typeof v === 'object') {
    for (const k of Object.keys(v).sort()) flatten(`${name}[${k}]`, v[k], out, variant);
    return;
  }
  const s = scalar(v);
  if (s === '' && !variant.keepEmpty) return;
  if (s === '0' && variant.dropZero) return;
  out.push([name, variant.encode ? variant.encode(s) : s]);
}

/** The pairs signed, in ASCII order of the names (unless the variant keeps them unsorted). */
function pairs(params: Params, variant: Variant = {}): [string, string][] {
  const out: [string, string][] = [];
  const names = Object.keys(params).filter((k) => k !== 'sign');
  if (!variant.unsorted) names.sort();
  for (const k of names) flatten(k, params[k], out, variant);
  return out;
}

const joined = (p: [string, string][]) => p.map(([k, v]) => `${k}=${v}`).join('&');

/** The names of an object in ASCII (UTF-16 code unit) order, as `Object.keys(o).sort()` gives
 * them: a few names are sorted in place by insertion, without the scratch arrays
 * Array.prototype.sort allocates (two sorts per call: the request's sign, the answer's). */
function sortedKeys(o: object): string[] {
  const names = Object.keys(o);
  if (names.length > 16) return names.sort();
  for (let i = 1; i < names.length; i++) {
    const name = names[i];
    let j = i - 1;
    for (; j >= 0 && names[j] > name; j--) names[j + 1] = names[j];
    names[j + 1] = name;
  }
  return names;
}

/** `joined(pairs(params))`, built as one string: no pair per value, no list to join (every
 * signature and every signed answer goes through here); `sorted` when the keys already are in
 * ASCII order (a body of orderedBody), so that a signed answer is sorted once, not twice. */
function canonicalPairs(params: Params, sorted: boolean): string {
  const names = sorted ? Object.keys(params) : sortedKeys(params);
  let out = '';
  for (const k of names) {
    if (k === 'sign') continue;
    const v = params[k];
    if (v === null || v === undefined) continue;
    if (typeof v === 'object') {
      const nested: [string, string][] = [];
      flatten(k, v, nested, {});
      if (nested.length > 0) out += out === '' ? joined(nested) : `&${joined(nested)}`;
      continue;
    }
    const s = scalar(v);
    if (s === '') continue;
    out += out === '' ? `${k}=${s}` : `&${k}=${s}`;
  }
  return out;
}
// crypto.hash (Node 20.12+) hashes in one call, without a Hash object per signature.
const hex: (s: string) => string = typeof crypto.hash === 'function' ? (s) => crypto.hash('md5', s, 'hex') : (s) => crypto.createHash('md5').update(s, 'utf8').digest('hex');
const md5 = (s: string) => hex(s).toUpperCase();

/** The string PAYJS hashes (docs/protocol.md §3.1): drop `sign`, null and "", keep 0, ASCII order,
 * raw values, `&key=` appended. */
export function canonicalString(params: Params, key: string): string {
  return `${canonicalPairs(params, false)}&key=${key}`;
}

/** The PAYJS signature of a parameter set: MD5 of the canonical string, upper-case hex. */
export function sign(params: Params, key: string): string {
  return md5(canonicalString(params, key));
}

/** Whether `params.sign` is the signature of the other parameters under `key`. */
export function verify(params: Params, key: string, options: { lenient?: boolean } = {}): boolean {
  const given = params.sign;
  if (typeof given !== 'string') return false;
  const expected = sign(params, key);
  if (given === expected) return true;
  if (!options.lenient) return false;
  return given.toUpperCase() === expected || given.toUpperCase() === md5(`${joined(pairs(params, { dropZero: true }))}&key=${key}`);
}

/** Masks a key for display: its first and last two characters stay. */
export function maskKey(key: string): string {
  if (key.length <= 4) return '*'.repeat(key.length);
  return `${key.slice(0, 2)}${'*'.repeat(key.length - 4)}${key.slice(-2)}`;
}

/** What the sandbox tells a merchant whose signature did not verify. */
export interface SignDiagnosis {
  canonical: string;
  expected: string;
  received: string;
  cause: string;
}

// A lone surrogate cannot be percent-encoded (URIError): encode it as U+FFFD, as a client would.
const urlencode = (v: string) => encodeURIComponent(v.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD'));
const phpUrlencode = (v: string) => urlencode(v).replace(/%20/g, '+').replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * Explains a signature mismatch: recomputes the usual mistakes (an empty value signed, a zero
 * dropped, URL-encoded values, lower-case hex, another merchant's key, no key) and names the first
 * that reproduces the received sign.
 */
export function diagnose(params: Params, key: string, otherKeys: { mchid: string; key: string }[] = []): SignDiagnosis {
  const received = typeof params.sign === 'string' ? params.sign : '';
  const expected = sign(params, key);
  // Long values are cut in the display so the explanation fits in a header and a log line.
  const shown = pairs(params).map(([k, v]): [string, string] => [k, v.length > 64 ? `${v.slice(0, 64)}…(+${v.length - 64})` : v]);
  const canonical = `${joined(shown)}&key=${maskKey(key)}`;
  const got = received.toUpperCase();
  const withKey = (variant: Variant, k = key) => md5(`${joined(pairs(params, variant))}&key=${k}`);
  const emptyFields = Object.keys(params).filter((k) => k !== 'sign' && params[k] === '');
  const zeroFields = Object.keys(params).filter((k) => k !== 'sign' && scalarIs(params[k], '0'));
  const checks: [boolean, string][] = [
    [received === '', 'no sign was sent'],
    [!/^[0-9a-fA-F]{32}$/.test(received), `the sign "${received.slice(0, 40)}" is not 32 hex characters`],
    [got === expected, 'the sign is lower-case hex; PAYJS signs in upper case'],
    [emptyFields.length > 0 && got === withKey({ keepEmpty: true }), `empty values were signed (${emptyFields.join(', ')}); leave empty values out of the signature`],
    [zeroFields.length > 0 && got === withKey({ dropZero: true }), `a zero value was left out (${zeroFields.join(', ')}); PAYJS signs 0 like any other value`],
    [got === withKey({ encode: (v) => v.replace(/ /g, '+') }), 'spaces were signed as "+" (urlencode then unquote); sign the raw values'],
    [got === withKey({ encode: urlencode }) || got === withKey({ encode: phpUrlencode }), 'values were URL-encoded before signing; sign the raw values'],
    [got === md5(joined(pairs(params))), 'the key was not appended; end the string with "&key=" and the merchant key'],
    [got === md5(`${joined(pairs(params))}${key}`) || got === md5(`${joined(pairs(params))}&${key}`), 'the key was appended without "key=": end the string with "&key=" and the merchant key, not the bare key'],
    [Object.keys(params).length > 2 && got === withKey({ unsorted: true }), 'the parameters were signed in the order they were sent, not sorted: sort the names in ASCII order before joining them'],
  ];
  for (const other of otherKeys) {
    if (other.key !== key) checks.push([got === withKey({}, other.key), `signed with the key of merchant ${other.mchid}, not this merchant's key`]);
  }
  const hit = checks.find(([matches]) => matches);
  const cause = hit ? hit[1] : 'wrong key, or the signed parameters differ from those sent: compare your string with the canonical one';
  return { canonical, expected, received, cause };
}

/** One parameter as the signature sees it: kept, or dropped and why. */
export interface SignPair {
  name: string;
  value: string;
  kept: boolean;
  /** `kept`; `sign` (never signed), `null` (null or absent), `empty` ("" is dropped; 0 is kept). */
  reason: 'kept' | 'sign' | 'null' | 'empty';
}

/** Every step from a parameter set to its PAYJS signature, for the dashboard's debugger. */
export interface SignExplanation {
  /** The parameters in the order given (nested ones flattened PHP-style). */
  pairs: SignPair[];
  /** The names kept, in ASCII order. */
  sorted: string[];
  /** The string hashed, the key appended in clear. */
  canonical: string;
  /** MD5 of the canonical string, lower-case hex as md5() prints it. */
  md5: string;
  /** The signature: the MD5 in upper case. */
  sign: string;
}

/** Explains the signature of `params` under `key` step by step (docs/protocol.md §3.1): what is kept
 * or dropped and why, the ASCII order, the canonical string, the MD5, the upper-cased sign. */
export function explain(params: Params, key: string): SignExplanation {
  const listed: SignPair[] = [];
  for (const name of Object.keys(params)) {
    const v = params[name];
    if (name === 'sign') listed.push({ name, value: typeof v === 'string' ? v : String(v ?? ''), kept: false, reason: 'sign' });
    else if (v === null || v === undefined) listed.push({ name, value: '', kept: false, reason: 'null' });
    else {
      const leaves: [string, string][] = [];
      flatten(name, v, leaves, { keepEmpty: true });
      for (const [n, value] of leaves) listed.push({ name: n, value, kept: value !== '', reason: value === '' ? 'empty' : 'kept' });
    }
  }
  const canonical = canonicalString(params, key);
  const digest = hex(canonical);
  return { pairs: listed, sorted: pairs(params).map(([n]) => n), canonical, md5: digest, sign: digest.toUpperCase() };
}

function scalarIs(v: ParamValue, s: string): boolean {
  return (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') && scalar(v) === s;
}

/** An answer body as PAYJS sends it: empty values left out, keys in ASCII order, `sign` last. */
export function signedBody(fields: Params, key: string): Params {
  const body = orderedBody(fields);
  body.sign = md5(`${canonicalPairs(body, true)}&key=${key}`);
  return body;
}

/** Keys in ASCII order at every level, without null, undefined or "" (PAYJS answers never carry
 * them), so that clients which sort and clients which keep insertion order sign the same string. */
export function orderedBody(fields: Params): Params {
  const body: Params = {};
  for (const k of sortedKeys(fields)) {
    const v = fields[k];
    // Empty lists go too: PHP's http_build_query signs nothing for them, other clients may not agree.
    if (isEmpty(v) || (Array.isArray(v) && v.length === 0)) continue;
    body[k] = v !== null && typeof v === 'object' && !Array.isArray(v) ? orderedBody(v) : Array.isArray(v) ? v.map((x) => (x !== null && typeof x === 'object' && !Array.isArray(x) ? orderedBody(x) : x)) : v;
  }
  return body;
}
