import { need, type Feature } from '../feature/contract.js';
import { compatRoutes } from './routes.js';

/**
 * The customer-service realtime API's own routes (seed 000: `/auth/login`,
 * `/auth/logout`, `/auth/heartbeat`, `/online-users`...) at the root, in that
 * API's answer shape, over the same login pipeline and presence.
 */
export const customerServiceFeature: Feature = {
  name: 'customer-service-api',
  needs: ['presence'],
  start({ services }) {
    const presence = need(services, 'presence');
    return { routes: (s) => [{ root: compatRoutes(s, presence.queries) }] };
  },
};
