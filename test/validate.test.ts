import { describe, expect, it } from 'vitest';
import { jsonPath, validator } from '../src/app/validate.js';
import { Refusal } from '../src/core/errors.js';

const seed = validator<{ orders: { total_fee: number }[] }>({
  type: 'object',
  properties: {
    orders: { type: 'array', items: { type: 'object', required: ['total_fee'], additionalProperties: false, properties: { total_fee: { type: 'integer', minimum: 1, description: 'a whole number of fen ≥ 1' } } } },
  },
}, 'seed');

describe('the one validation mechanism', () => {
  it.each([
    ['/orders/2/total_fee', '', 'orders[2].total_fee'],
    ['', 'seed', 'seed'],
    ['/a~1b', 'x', 'x.a/b'],
  ])('names %j under %j as %s', (pointer, root, name) => expect(jsonPath(pointer, root)).toBe(name));

  it('passes a valid value through as it is', () => {
    const v = { orders: [{ total_fee: 1 }] };
    expect(seed(v)).toBe(v);
  });

  it.each([
    [{ orders: [{ total_fee: 1 }, { total_fee: 0 }] }, 'seed.orders[1].total_fee (must be >= 1 (a whole number of fen ≥ 1))'],
    [{ orders: [{}] }, 'seed.orders[0].total_fee (is required)'],
    [{ orders: [{ total_fee: 1, fee: 2 }] }, 'seed.orders[0].fee (is not a known field)'],
  ])('refuses %j naming the path and the fix', (value, message) => {
    let err: unknown;
    try { seed(value); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(Refusal);
    expect((err as Refusal).code).toBe('INVALID_PARAM');
    expect((err as Refusal).message).toBe(`参数错误：${message}`);
  });
});
