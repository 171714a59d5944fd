import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SIGNATURE_HEADER, verifySignature } from './sign.js';

export interface Delivery {
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  signatureValid: boolean;
}

/** A webhook receiver on 127.0.0.1 that checks every signature, as a real one would. */
export async function startReceiver(
  secret: string,
  opts: { failFirst?: number; nowSec?: () => number } = {},
) {
  const deliveries: Delivery[] = [];
  let attempts = 0;
  let failLeft = opts.failFirst ?? 0;
  const waiters: (() => void)[] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      attempts++;
      if (failLeft > 0) {
        failLeft--;
        res.statusCode = 503;
        res.end();
        return;
      }
      const sig = req.headers[SIGNATURE_HEADER] as string | undefined;
      const t = Number(/t=(\d+)/.exec(sig ?? '')?.[1]);
      deliveries.push({
        headers: req.headers,
        body: JSON.parse(raw),
        signatureValid: verifySignature(secret, raw, sig, opts.nowSec?.() ?? t),
      });
      res.statusCode = 204;
      res.end();
      for (const w of waiters.splice(0)) w();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    deliveries,
    attempts: () => attempts,
    /** Resolves once a delivery satisfies `pred` (or rejects after `ms`). */
    async waitFor(pred: (d: Delivery) => boolean, ms = 10_000): Promise<Delivery> {
      const end = Date.now() + ms;
      for (;;) {
        const d = deliveries.find(pred);
        if (d) return d;
        if (Date.now() > end)
          throw new Error(
            `no matching delivery among ${deliveries.map((x) => x.body.type).join(', ')}`,
          );
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 100).unref();
        });
      }
    },
    close: () => new Promise((r) => server.close(r)),
  };
}
