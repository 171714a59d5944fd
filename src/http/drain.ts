import type { FastifyInstance } from 'fastify';

/**
 * Graceful shutdown, the HTTP half (docs/reliability.md "Shutdown"). app.close() stops accepting
 * and closes idle keep-alive connections, then waits for the others; but a connection whose
 * request was in flight would stay open after its answer until the keep-alive timeout (72 s).
 * Once closing, connections are closed as soon as they are idle again (every 25 ms), so each
 * ends with its answer. No per-request hook: answers cost nothing extra while serving.
 */
export function closeConnectionsOnDrain(app: FastifyInstance): void {
  let timer: NodeJS.Timeout | undefined;
  app.addHook('preClose', (done) => {
    timer = setInterval(() => app.server.closeIdleConnections(), 25);
    timer.unref();
    done();
  });
  app.addHook('onClose', (_app, done) => {
    if (timer) clearInterval(timer);
    done();
  });
}
