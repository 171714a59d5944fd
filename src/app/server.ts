import type { FastifyInstance } from 'fastify';
import { buildApp, buildMetricsApp } from './app.js';
import type { Config } from '../config/schema.js';
import { redactedConfig } from '../config/load.js';
import { createRuntime, type Runtime, type RuntimeOptions } from './runtime.js';
import { bootstrapUsers } from '../users/bootstrap.js';
import { allFields } from './features.js';

export interface Server {
  app: FastifyInstance;
  /** The `/metrics` listener of TESSERA_METRICS_PORT, when set (main.ts listens on it). */
  metricsApp: FastifyInstance | undefined;
  rt: Runtime;
  close(): Promise<void>;
}

/** Runtime (core + features) + HTTP app, ready to listen (or to inject into). */
export async function createServer(config: Config, opts: RuntimeOptions = {}): Promise<Server> {
  const rt = await createRuntime(config, opts);
  let app: FastifyInstance | undefined;
  let metricsApp: FastifyInstance | undefined;
  try {
    rt.log.info({ config: redactedConfig(config, allFields()) }, 'effective configuration');
    await bootstrapUsers(rt);
    app = await buildApp(rt);
    await app.ready();
    if (config.metricsPort !== undefined) {
      metricsApp = await buildMetricsApp(rt);
      await metricsApp.ready();
    }
  } catch (e) {
    await metricsApp?.close().catch(() => {});
    await app?.close().catch(() => {});
    await rt.close();
    throw e;
  }
  const a = app;
  const m = metricsApp;
  return {
    app: a,
    metricsApp: m,
    rt,
    async close() {
      await m?.close();
      await a.close();
      await rt.close();
    },
  };
}
