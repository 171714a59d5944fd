import { Counter, Gauge, type Registry } from 'prom-client';
import type { LoginKeyService } from './service.js';

/**
 * The one-time key pool of this node, read at scrape time from its own
 * counts: keys ready to hand out against the pool's size, and how often a
 * request found it empty (then a key is generated while the client waits).
 */
export function registerLoginKeyMetrics(registry: Registry, svc: LoginKeyService): void {
  new Gauge({
    name: 'tessera_login_key_pool_keys',
    help: 'RSA key pairs ready in this node’s pool for the encrypted login, by state: ready, generating, capacity (TESSERA_RSA_KEY_POOL_SIZE)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const p = svc.stats().pool;
      this.set({ state: 'ready' }, p.size);
      this.set({ state: 'generating' }, p.inflight);
      this.set({ state: 'capacity' }, p.capacity);
    },
  });
  new Counter({
    name: 'tessera_login_key_pool_misses_total',
    help: 'Key requests that found the pool empty (a key was generated while the client waited)',
    registers: [registry],
    collect() {
      // The pool counts for itself; the counter shows its count.
      this.reset();
      this.inc(svc.stats().pool.misses);
    },
  });
}
