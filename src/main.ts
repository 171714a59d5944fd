import { loadAppConfig } from './app/features.js';
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
  let server;
  try {
    server = await createServer(config);
  } catch (e) {
    console.error(`tessera: cannot start: ${(e as Error).message}`);
    process.exit(1);
  }
  const { app, rt } = server;
  await app.listen({ host: config.host, port: config.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  rt.log.info(
    `tessera listening on http://${config.host}:${port} (${rt.db.dialect}${rt.redis ? ' + redis' : ', single node'})`,
  );
  let closing = false;
  const stop = (signal: string) => {
    if (closing) return;
    closing = true;
    rt.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

const isEntry = import.meta.url === `file://${process.argv[1]}`;
if (isEntry) void serve();
