import type { AppExtension } from './app.js';
import type { Runtime } from './runtime.js';
import { loginKeysModule } from './login-keys/module.js';
import { presenceModule } from './presence/module.js';
import { securityModule } from './security/module.js';

/**
 * A feature module joins the composition root here: at start it may install
 * login-flow hooks (rt.hooks: brute-force guard, captcha, RSA decryptor),
 * register shutdown steps (rt.onClose) and contribute HTTP routes.
 */
export interface TesseraModule {
  name: string;
  init(rt: Runtime): Promise<AppExtension[]>;
}

/** Every module, in start order. Each owns its folder; add one line here. */
export const MODULES: TesseraModule[] = [loginKeysModule, presenceModule, securityModule];
