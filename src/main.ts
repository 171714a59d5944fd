import { loadAppConfig, unknownAppSettings } from './app/features.js';
import { ConfigError } from './config/load.js';
import { createServer } from './app/server.js';

/** `tessera serve`: read config, build, listen, shut down gracefully. */
export async function serve(): Promise<void> {
  let config;
  try {
    config = loadAppConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`tessera: configuration error: ${e.message}`);
      process.exit(2);
    }
    throw e;
  }
  // In production an unknown TESSERA_* variable already stopped the start (loadConfig).
  for (const w of unknownAppSettings()) console.error(`tessera: warning: ${w}`);
  let server;
  try {
    server = await createServer(config);
  } catch (e) {
    console.error(`tessera: cannot start: ${(e as Error).message}`);
    process.exit(1);
  }
  const { app, rt, metricsApp } = server;
  await app.listen({ host: config.host, port: config.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  rt.log.info(
    `tessera listening on http://${config.host}:${port} (${rt.db.dialect}${rt.redis ? ' + redis' : ', single node'})`,
  );
  if (metricsApp) {
    await metricsApp.listen({ host: config.metricsHost, port: config.metricsPort ?? 0 });
    const m = metricsApp.server.address();
    rt.log.info(
      `metrics on http://${config.metricsHost}:${typeof m === 'object' && m ? m.port : config.metricsPort}/metrics`,
    );
  } else if (config.production && config.metricsToken === undefined)
    rt.log.warn(
      '/metrics answers 403 on the public port: set TESSERA_METRICS_TOKEN (scrapers send it as a Bearer token) or TESSERA_METRICS_PORT',
    );
  let closing = false;
  /**
   * SIGTERM/SIGINT (docs/reliability.md "Shutdown"): stop accepting, let in-flight requests
   * finish, close WebSockets with 1012 (service restart), flush batched last-seen and audit
   * writes, close storage; exit 0. Past TESSERA_SHUTDOWN_TIMEOUT_SECONDS, exit 1 anyway. A
   * second signal changes nothing (a terminal's Ctrl-C reaches npm and node both).
   */
  const stop = (signal: string) => {
    if (closing) return;
    closing = true;
    const started = Date.now();
    rt.log.info({ signal, timeoutSeconds: config.shutdownTimeout }, 'shutting down');
    const force = setTimeout(() => {
      rt.log.error(
        { signal, timeoutSeconds: config.shutdownTimeout },
        'shutdown did not finish in time; exiting anyway',
      );
      process.exit(1);
    }, config.shutdownTimeout * 1000);
    force.unref();
    server.close().then(
      () => {
        rt.log.info({ ms: Date.now() - started }, 'shut down cleanly');
        process.exit(0);
      },
      (e: unknown) => {
        rt.log.error({ err: e }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

const isEntry = import.meta.url === `file://${process.argv[1]}`;
if (isEntry) void serve();
