/** What the behaviour tests share: the default merchant's credentials and a merchant's way of
 * calling the sandbox (sign, send in a chosen transport, read the JSON answer). */
import { DEFAULT_MERCHANT, sign, type Params } from '../src/index.js';

export const MCHID = DEFAULT_MERCHANT.mchid;

/** Which path serves the PAYJS API in the suites that spread it into their sandboxes: the lean
 * one (the default), or koa alone under PAYJS_TEST_API_PATH=koa (the `koa-path` project of
 * vitest.config.ts runs the API suites so, beside the default run). */
export const PATH = { leanApi: process.env.PAYJS_TEST_API_PATH !== 'koa' };
export const KEY = DEFAULT_MERCHANT.key;

export type Transport = 'form' | 'json' | 'multipart' | 'query' | 'get';

/** `params` plus their PAYJS signature. */
export function signed(params: Params, key = KEY): Params {
  return { ...params, sign: sign(params, key) };
}

export interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
  text: string;
}

const asStrings = (p: Params) => Object.entries(p).filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => [k, String(v)]);

/** Sends already-signed params to `/api/<endpoint>` the way a client library would. */
export async function send(base: string, endpoint: string, params: Params, transport: Transport = 'form'): Promise<Answer> {
  const url = new URL(`/api/${endpoint}`, base);
  let init: RequestInit = { method: 'POST', redirect: 'manual' };
  if (transport === 'form') init.body = new URLSearchParams(asStrings(params));
  if (transport === 'json') init = { ...init, body: JSON.stringify(params), headers: { 'content-type': 'application/json' } };
  if (transport === 'multipart') {
    const form = new FormData();
    for (const [k, v] of asStrings(params)) form.append(k, v);
    init.body = form;
  }
  if (transport === 'query' || transport === 'get') {
    url.search = new URLSearchParams(asStrings(params)).toString();
    if (transport === 'get') init.method = 'GET';
  }
  const res = await fetch(url, init);
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text);
  } catch {
    /* pages and redirects are not JSON */
  }
  return { status: res.status, headers: res.headers, body, text };
}

/** Signs with the default merchant's key (or `key`) and sends. */
export function call(base: string, endpoint: string, params: Params, transport: Transport = 'form', key = KEY): Promise<Answer> {
  return send(base, endpoint, signed(params, key), transport);
}

/** Signs `params` as the default merchant (its mchid filled in), POSTs them as a form, and gives
 * the JSON answer: a merchant's call in one line. */
export async function merchantPost(base: string, endpoint: string, params: Params): Promise<Record<string, unknown>> {
  return (await call(base, endpoint, { mchid: MCHID, ...params })).body;
}

let counter = 0;
/** A fresh out_trade_no. */
export const tradeNo = () => `T${Date.now()}${++counter}`;

/** Creates a native order for the default merchant and returns its payjs_order_id. */
export async function nativeOrder(base: string, extra: Params = {}): Promise<string> {
  const a = await call(base, 'native', { mchid: MCHID, total_fee: 100, out_trade_no: tradeNo(), body: 'test', ...extra });
  if (a.body.return_code !== 1) throw new Error(`native failed: ${a.text}`);
  return a.body.payjs_order_id as string;
}

/** Whether a success answer verifies: sign over every other key, as mefedev/ImSingee verify. */
export function verifies(body: Record<string, unknown>, key = KEY): boolean {
  return typeof body.sign === 'string' && body.sign === sign(body as Params, key);
}

import { copyFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A lowdb file in a fresh temp dir. */
export function tempDb(): string {
  return join(mkdtempSync(join(tmpdir(), 'payjs-sandbox-test-')), 'db.json');
}

/** A copy of a running sandbox's files as kill -9 would leave them now (the document and its
 * journals, no shutdown having written them), to restart from. */
export function crashCopy(db: string): string {
  const to = tempDb();
  for (const suffix of ['', '.journal', '.journal.old']) if (existsSync(db + suffix)) copyFileSync(db + suffix, to + suffix);
  return to;
}
