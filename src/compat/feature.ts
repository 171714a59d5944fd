import { need, type Feature } from '../feature/contract.js';
import { compatRoutes } from './routes.js';

/**
 * The customer-service realtime API's own routes (seed 000: `/auth/login`,
 * `/auth/logout`, `/auth/heartbeat`, `/online-users`..., and `/auth/mfa/verify`
 * for a login that answered MFA_REQUIRED) at the root, in that
 * API's answer shape, over the same login pipeline and presence.
 */
export const customerServiceFeature: Feature = {
  name: 'customer-service-api',
  needs: ['presence', 'mfa'],
  start({ services }) {
    const presence = need(services, 'presence');
    const mfa = need(services, 'mfa');
    return { routes: (s) => [{ root: compatRoutes(s, presence.queries, mfa) }] };
  },
};
