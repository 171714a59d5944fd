import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
  onResponseHookHandler,
} from 'fastify';
import type { FastHistogram, HistogramChild } from '../ops/histogram.js';

/** The route label of requests no route matched (404s, refusals before routing): one value, not their URLs. */
const UNMATCHED = 'unmatched';

/**
 * `tessera_http_request_duration_seconds{route,method,status}` (its `_count` is the request
 * count). The route label is the route's pattern (`/api/admin/users/:id`), never the URL, so
 * the series are bounded by the routes the app has. Each route gets its own onResponse hook
 * closing over its pattern and its series by (method, status): per request, two Map lookups
 * and a bucket scan; no `req.routeOptions` (an object built per access) and no label object
 * hashed by prom-client. Requests no route matched go to one series per (method, status).
 * Installed before any route exists (the onRoute hook must see them all).
 */
export function installRequestMetrics(app: FastifyInstance, hist: FastHistogram): void {
  const recorder = (route: string) => {
    const byMethod = new Map<string, Map<number, HistogramChild>>();
    return (req: FastifyRequest, reply: FastifyReply) => {
      let byStatus = byMethod.get(req.method);
      if (!byStatus) byMethod.set(req.method, (byStatus = new Map()));
      const status = reply.statusCode;
      let c = byStatus.get(status);
      if (!c) byStatus.set(status, (c = hist.child(route, req.method, String(status))));
      c.observe(reply.elapsedTime / 1000);
    };
  };

  app.addHook('onRoute', (opts) => {
    const record = recorder(opts.url);
    const hook: onResponseHookHandler = function (req, reply, done: HookHandlerDoneFunction) {
      record(req, reply);
      done();
    };
    // The HEAD route Fastify derives from a GET one comes through here on its own (its own
    // recorder: counted once, under HEAD; ops/metrics.test.ts checks it).
    const given = opts.onResponse;
    opts.onResponse =
      given === undefined ? [hook] : [...(Array.isArray(given) ? given : [given]), hook];
  });

  const unmatched = recorder(UNMATCHED);
  app.addHook('onResponse', (req, reply, done) => {
    if (req.is404) unmatched(req, reply);
    done();
  });
}
