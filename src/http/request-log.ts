import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';

const REQUEST_ID_HEADER = 'x-request-id';
/**
 * What a proxy's id may look like: a UUID, nginx's $request_id (32 hex digits), a trace id
 * (hex, base64, dotted or colon-separated forms). Anything longer, empty or with other characters
 * (spaces, commas, quotes, non-ASCII) is replaced by a generated id, never logged.
 */
const ACCEPTED_ID = /^[A-Za-z0-9._:@=+/-]{1,128}$/;

/**
 * Fastify's genReqId: the X-Request-Id header when the request's peer is a trusted proxy
 * (TESSERA_TRUST_PROXY, the same list Fastify believes X-Forwarded-For from) and the id is
 * of an accepted form; otherwise a fresh random UUID. A client cannot choose its id.
 */
export function requestIdGenerator(trusted: readonly string[]): (req: IncomingMessage) => string {
  const trust = trusted.length ? proxyAddr.compile([...trusted]) : undefined;
  return (req) => {
    const given = req.headers[REQUEST_ID_HEADER];
    const peer = req.socket?.remoteAddress;
    if (trust && typeof given === 'string' && ACCEPTED_ID.test(given) && peer && trust(peer, 0))
      return given;
    return randomUUID();
  };
}

/**
 * Every answer carries its X-Request-Id (the refusals of later hooks too, so this runs first);
 * with `accessLog`, one line per answered request: method, route template (never the URL, whose
 * path or query may carry a token), status, milliseconds, request id, tenant.
 */
export function installRequestLog(
  app: FastifyInstance,
  o: { accessLog: boolean; log: FastifyBaseLogger },
): void {
  app.addHook('onRequest', (req, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, req.id);
    done();
  });
  if (!o.accessLog) return;
  const log = o.log;
  app.addHook('onResponse', (req, reply, done) => {
    log.info(
      {
        reqId: req.id,
        method: req.method,
        route: req.routeOptions.url ?? null,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
        tenant: (req.tenant as string | undefined) ?? null,
      },
      'request',
    );
    done();
  });
}
