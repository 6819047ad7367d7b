import fc from 'fast-check';
import qs from 'qs';
import { describe, expect, it } from 'vitest';
import { QS_OPTIONS, isPlainForm, parseForm } from '../src/http/form-body.js';

const viaQs = (text: string) => ({ ...qs.parse(text, QS_OPTIONS) });
const ours = (text: string) => ({ ...parseForm(text) });

describe('the sandbox reads a form body exactly as qs does', () => {
  it.each([
    'mchid=1234567890&total_fee=1&out_trade_no=A1&sign=ABC',
    'body=%E4%B8%AD%E6%96%87+and+spaces&x=a%2Bb',
    'a=%ZZbroken&b=%E4',
    'a&b=&=c&&d==e',
    'a=1&a=2',
    'a[b]=1&c=2',
    'a%5Bb%5D=1',
    'a=x%5D=y',
    'a=x]=y',
    '__proto__=1&b=2',
    'constructor=1&toString=2',
    'a.b=1',
    `${Array.from({ length: 1001 }, (_, i) => `k${i}=${i}`).join('&')}`,
  ])('%s', (text) => {
    expect(ours(text)).toEqual(viaQs(text));
  });

  it('agrees with qs on any text made of form-ish pieces', () => {
    const piece = fc.constantFrom('a', 'b', 'mchid', '=', '&', '+', '%', '%2', '%20', '%5B', '%5d', '[', ']', '[]', '%E4%B8%AD', '%ZZ', '中', '__proto__', 'constructor', '.', '0', '1');
    fc.assert(fc.property(fc.array(piece, { maxLength: 30 }), (pieces) => {
      const text = pieces.join('');
      expect(ours(text)).toEqual(viaQs(text));
    }), { numRuns: 2000 });
  });
});

describe('which bodies the sandbox reads itself', () => {
  it.each([
    [{ 'content-type': 'application/x-www-form-urlencoded' }, true],
    [{ 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' }, true],
    [{ 'content-type': 'Application/X-WWW-Form-Urlencoded;charset="utf-8"' }, true],
    [{ 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': 'identity' }, true],
    [{ 'content-type': 'application/x-www-form-urlencoded; charset=gbk' }, false],
    [{ 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': 'gzip' }, false],
    [{ 'content-type': 'application/json' }, false],
    [{ 'content-type': 'text/plain' }, false],
    [{ 'content-type': 'multipart/form-data; boundary=x' }, false],
    [{}, false],
  ])('%j → %s', (headers, plain) => {
    expect(isPlainForm(headers)).toBe(plain);
  });
});
