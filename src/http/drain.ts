import type { FastifyInstance } from 'fastify';

/**
 * Graceful shutdown, the HTTP half (docs/reliability.md "Shutdown"). app.close() stops accepting
 * and closes idle keep-alive connections, then waits for the others; but a connection whose
 * request was in flight would stay open after its answer until the keep-alive timeout (72 s).
 * Once closing, every answer says `Connection: close`, so its connection ends with it.
 */
export function closeConnectionsOnDrain(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onSend', (_req, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
}
