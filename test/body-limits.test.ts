/** Every surface reads its bodies through one parser: a body over the surface's limit is refused
 * naming that limit, and one that does not parse is refused saying so, never a crash. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../src/index.js';
import { PATH } from './support.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ ...PATH });
});
afterAll(() => sandbox?.close());

const post = async (path: string, body: string, type: string) => {
  const res = await fetch(`${sandbox.url}${path}`, { method: 'POST', headers: { 'content-type': type }, body });
  return { status: res.status, body: (await res.json()) as { error?: string; message?: string; return_code?: number; msg?: string } };
};

describe('the body limit of each surface', () => {
  it.each([
    ['the mini-program endpoint', '64 KB', '/__sandbox/miniprogram/pay', 64 * 1024],
    ['the control API', '16 MB', '/__sandbox/scenarios', 16 * 1024 * 1024],
    ['the signature debugger', '1 MB', '/dashboard/sign-debug', 1024 * 1024],
  ])('%s refuses a body over its limit with 413, naming %s', async (_name, spoken, path, limit) => {
    const { status, body } = await post(path, JSON.stringify({ pad: 'a'.repeat(limit + 1) }), 'application/json');
    expect(status).toBe(413);
    expect(body).toEqual({ error: 'BODY_TOO_LARGE', message: `请求体过大 (the request body is over ${spoken})` });
  });

  it.each([
    ['the mini-program endpoint', '/__sandbox/miniprogram/pay'],
    ['the control API', '/__sandbox/scenarios'],
    ['the signature debugger', '/dashboard/sign-debug'],
  ])('%s refuses JSON that does not parse with 400, saying what to check', async (_name, path) => {
    const { status, body } = await post(path, '{"a": ', 'application/json');
    expect(status).toBe(400);
    expect(body).toEqual({ error: 'BAD_BODY', message: '请求格式错误 (the JSON body does not parse; check quotes and commas)' });
  });
});
