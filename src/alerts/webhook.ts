import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../lib/clock.js';
import { Counter, Gauge, type Registry } from 'prom-client';
import { SIGNATURE_HEADER, signPayload } from './sign.js';

export interface WebhookOptions {
  urls: readonly string[];
  secret: string | undefined;
  clock: Clock;
  log: Pick<Logger, 'warn'>;
  /** Deliveries waiting or retrying; beyond it new ones are dropped (and counted). @default 1000 */
  maxQueue?: number;
  /** Attempts per delivery. @default 6 */
  attempts?: number;
  /** First retry delay; doubles each time, with jitter. @default 1000 */
  baseDelayMs?: number;
  /** Per-request timeout. @default 5000 */
  timeoutMs?: number;
}

export interface WebhookSender {
  /** Queues one JSON body for every URL; never blocks, never throws. */
  send(event: string, payload: object): void;
  /** Deliveries dropped because the queue was full. */
  dropped(): number;
  /** Deliveries queued, in flight or waiting to retry. */
  depth(): number;
  /** Resolves when nothing is queued or in flight (tests, shutdown). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

interface Job {
  url: string;
  id: string;
  event: string;
  body: string;
  attempt: number;
}

/**
 * Delivers alerts off the request path: a bounded in-memory queue, two
 * deliveries in flight at most, exponential backoff with full jitter between
 * attempts. A 2xx answer is success; anything else (or a timeout) is retried.
 * Every delivery carries X-Tessera-Delivery (same id on retries, so receivers
 * can deduplicate) and the HMAC signature when a secret is configured.
 */
export function createWebhookSender(o: WebhookOptions): WebhookSender {
  const maxQueue = o.maxQueue ?? 1000;
  const attempts = o.attempts ?? 6;
  const base = o.baseDelayMs ?? 1000;
  const timeoutMs = o.timeoutMs ?? 5000;
  const queue: Job[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let inFlight = 0;
  let waiting = 0;
  let dropped = 0;
  let stopped = false;
  let idleWaiters: (() => void)[] = [];

  function checkIdle(): void {
    if (queue.length || inFlight || waiting) return;
    for (const w of idleWaiters) w();
    idleWaiters = [];
  }

  async function deliver(j: Job): Promise<boolean> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'Tessera-Webhook/1',
      'x-tessera-event': j.event,
      'x-tessera-delivery': j.id,
    };
    if (o.secret)
      headers[SIGNATURE_HEADER] = signPayload(o.secret, j.body, Math.floor(o.clock.now() / 1000));
    try {
      const res = await fetch(j.url, {
        method: 'POST',
        headers,
        body: j.body,
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'manual',
      });
      await res.arrayBuffer().catch(() => undefined);
      return res.status >= 200 && res.status < 300;
    } catch {
      return false;
    }
  }

  function pump(): void {
    while (!stopped && inFlight < 2 && queue.length) {
      const j = queue.shift()!;
      inFlight++;
      void deliver(j).then((ok) => {
        inFlight--;
        if (!ok && j.attempt + 1 < attempts && !stopped) retry(j);
        else if (!ok)
          o.log.warn({ url: j.url, event: j.event, delivery: j.id }, 'alert webhook gave up');
        pump();
        checkIdle();
      });
    }
    checkIdle();
  }

  function retry(j: Job): void {
    const delay = Math.random() * base * 2 ** j.attempt;
    waiting++;
    const t = setTimeout(() => {
      timers.delete(t);
      waiting--;
      queue.push({ ...j, attempt: j.attempt + 1 });
      pump();
    }, delay);
    t.unref();
    timers.add(t);
  }

  if (o.urls.length && !o.secret)
    o.log.warn(
      'alert webhooks are configured without TESSERA_ALERT_WEBHOOK_SECRET: deliveries are unsigned',
    );

  return {
    send(event, payload) {
      if (stopped || !o.urls.length) return;
      const body = JSON.stringify(payload);
      const id = randomUUID();
      for (const url of o.urls) {
        if (queue.length + waiting + inFlight >= maxQueue) {
          dropped++;
          continue;
        }
        queue.push({ url, id, event, body, attempt: 0 });
      }
      pump();
    },
    dropped: () => dropped,
    depth: () => queue.length + waiting + inFlight,
    idle: () =>
      new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        checkIdle();
      }),
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      waiting = 0;
      queue.length = 0;
      checkIdle();
    },
  };
}

/** The alert webhooks' queue of this node (in memory): its depth, and what a full queue dropped. */
export function registerWebhookMetrics(registry: Registry, w: WebhookSender): void {
  new Gauge({
    name: 'tessera_alert_webhook_queue_depth',
    help: 'Alert webhook deliveries queued, in flight or waiting to retry on this node',
    registers: [registry],
    collect() {
      this.set(w.depth());
    },
  });
  new Counter({
    name: 'tessera_alert_webhook_dropped_total',
    help: 'Alert webhook deliveries dropped because the queue was full',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(w.dropped());
    },
  });
}
