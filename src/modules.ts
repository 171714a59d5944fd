import type { AppExtension } from './app.js';
import type { Config } from './config/schema.js';
import type { Runtime, RuntimeOptions } from './runtime.js';

/**
 * The seam where feature modules (encrypted login, brute-force guard,
 * presence, audit API) join the composition root. Each contributes runtime
 * options (e.g. a LoginGuard) and HTTP extensions.
 */
export const optionalModules = {
  async runtimeOptions(_config: Config, _given: RuntimeOptions): Promise<Partial<RuntimeOptions>> {
    return {};
  },
  async extensions(_rt: Runtime): Promise<AppExtension[]> {
    return [];
  },
};
