/** Real merchant notify endpoints on port 0, each getting one PAYJS rule (docs/protocol.md §14)
 * right or wrong: what the conformance battery is run against. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sign } from '../src/index.js';
import { KEY } from './support.js';

export type Flaw = 'none' | 'accepts-forged' | 'drops-unknown-fields' | 'requires-attach' | 'not-idempotent' | 'json-only';

const KNOWN = ['return_code', 'total_fee', 'out_trade_no', 'payjs_order_id', 'transaction_id', 'time_end', 'openid', 'mchid', 'attach', 'type'];

export interface MerchantEndpoint {
  url: string;
  /** payjs_order_ids the endpoint marked paid, once each. */
  paid: Set<string>;
  close: () => Promise<void>;
}

/** A notify handler as a merchant writes one, with `flaw` (none: every rule right). */
export async function startMerchantEndpoint(flaw: Flaw = 'none', key = KEY): Promise<MerchantEndpoint> {
  const paid = new Set<string>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const json = (req.headers['content-type'] ?? '').includes('json');
      const answer = (status: number, body: string) => {
        res.statusCode = status;
        res.end(body);
      };
      if (flaw === 'json-only' && !json) return answer(400, 'expected JSON');
      let fields: Record<string, string>;
      try {
        fields = json ? JSON.parse(text) : Object.fromEntries(new URLSearchParams(text));
      } catch {
        return answer(400, 'bad body');
      }
      const { sign: received, ...rest } = fields;
      const signed = flaw === 'drops-unknown-fields' ? Object.fromEntries(Object.entries(rest).filter(([k]) => KNOWN.includes(k))) : rest;
      if (flaw !== 'accepts-forged' && sign(signed, key) !== received) return answer(400, 'bad sign');
      if (flaw === 'requires-attach' && !fields.attach) return answer(500, 'attach missing');
      const id = fields.payjs_order_id;
      if (flaw === 'not-idempotent' && paid.has(id)) return answer(500, 'duplicate key');
      paid.add(id);
      answer(200, 'success');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/payjs/notify`,
    paid,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
