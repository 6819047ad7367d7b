/** A tiny merchant web site on port 0, on another origin than the sandbox: it serves the pages a
 * test gives it and records every URL the browser opened on it (callback_url, return pages). */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Params } from '../../src/index.js';
import { signed } from '../support.js';

export type PageHandler = (url: URL) => string | Promise<string>;

export interface MerchantSite {
  url: string;
  /** Every URL requested, in order. */
  visits: URL[];
  /** Serves `html` (or what the handler returns) at `path`; any other path answers a plain page. */
  page(path: string, html: string | PageHandler): void;
  close(): Promise<void>;
}

export async function startMerchant(): Promise<MerchantSite> {
  const pages = new Map<string, PageHandler>();
  const visits: URL[] = [];
  let base = '';
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', base);
    visits.push(url);
    const handler = pages.get(url.pathname);
    try {
      const html = handler ? await handler(url) : `<!doctype html><title>merchant</title><h1 data-testid="merchant-page">merchant ${url.pathname}</h1>`;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String((err as Error).stack));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    visits,
    page: (path, html) => pages.set(path, typeof html === 'string' ? () => html : html),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The signed URL a merchant sends the payer's browser to, e.g. `/api/cashier?…` (§11). */
export function payjsUrl(base: string, endpoint: string, params: Params): string {
  const query = Object.entries(signed(params)).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]);
  return `${base}/api/${endpoint}?${new URLSearchParams(query)}`;
}
