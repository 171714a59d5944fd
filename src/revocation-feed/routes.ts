import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { envelope, ok, responses } from '../contract/reply.js';
import { servesTenants } from '../contract/tenant-routes.js';
import type { TenantId } from '../db/scope.js';
import type { Database } from '../db/types.js';
import type { Clock } from '../lib/clock.js';
import { TesseraError } from '../lib/errors.js';
import { readSnapshot } from './snapshot.js';
import type { StreamHub } from './streams.js';
import type { FeedWindow } from './window.js';

const entry = {
  type: 'object',
  required: ['kind', 'value', 'expiresAt'],
  properties: {
    kind: { type: 'string', enum: ['sid', 'jti', 'user'] },
    value: { type: 'string' },
    expiresAt: { type: 'integer' },
    notBefore: { type: 'integer' },
  },
} as const;

const snapshot = {
  type: 'object',
  required: ['cursor', 'revocations'],
  properties: { cursor: { type: 'string' }, revocations: { type: 'array', items: entry } },
} as const;

const cursorSchema = { type: 'string', maxLength: 64 } as const;

/**
 * `<ctx>/service/revocations` (the snapshot) and `<ctx>/service/revocations/stream` (the
 * server-sent events): under the public-token path prefix, so the caller presents a service
 * token (`TESSERA_PUBLIC_API_TOKENS`, constant-time compare in http/auth.ts), never a user's JWT.
 */
export function revocationFeedRoutes(d: {
  window: FeedWindow;
  hub: StreamHub;
  scope: (tenant: TenantId) => Kysely<Database>;
  clock: Clock;
}) {
  return async function routes(app: FastifyInstance): Promise<void> {
    servesTenants(app);
    // Streams never end by themselves: end them first, or closing waits for every client.
    app.addHook('preClose', (done) => {
      d.hub.closeAll();
      done();
    });

    app.get(
      '/service/revocations',
      {
        schema: {
          tags: ['service'],
          security: [{ apiToken: [] }],
          summary:
            'Every revocation of the tenant whose tokens may still be alive, and the feed cursor it was read at',
          response: responses({ 200: envelope(snapshot) }, ['UNAVAILABLE']),
        },
      },
      async (req, reply) => {
        // The cursor first: what is revoked after it is also on the stream (applied twice, harmless).
        const cursor = d.window.cursor();
        const revocations = await readSnapshot(d.scope(req.tenant), d.clock);
        return ok(req, reply, { cursor, revocations });
      },
    );

    app.get<{ Querystring: { since?: string }; Headers: { 'last-event-id'?: string } }>(
      '/service/revocations/stream',
      {
        schema: {
          tags: ['service'],
          security: [{ apiToken: [] }],
          summary:
            'Revocations as server-sent events (`revoke`, `reset`), resumable from Last-Event-ID or ?since=',
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: { since: cursorSchema },
          },
          headers: { type: 'object', properties: { 'last-event-id': cursorSchema } },
          response: responses({ 200: { description: 'text/event-stream', type: 'string' } }, [
            'REVOCATION_FEED_FULL',
          ]),
        },
      },
      async (req, reply) => {
        if (d.hub.full())
          throw new TesseraError('REVOCATION_FEED_FULL', { headers: { 'retry-after': '5' } });
        const resume = d.window.resume(req.headers['last-event-id'] ?? req.query.since);
        reply.hijack();
        // The security headers the shell set on this reply (http/hardening.ts), then the stream's.
        const res = reply.raw;
        for (const [k, v] of Object.entries(reply.getHeaders()))
          if (v !== undefined) res.setHeader(k, v);
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-store',
          // nginx would otherwise buffer the stream.
          'x-accel-buffering': 'no',
        });
        d.hub.open(res, req.tenant, resume);
      },
    );
  };
}
