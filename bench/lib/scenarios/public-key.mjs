// Scenario 5: GET /api/public/auth/public-key, a distinct X-Session-Id per request, pool warmed first.
import { Skip } from '../contenders.mjs';

const PATH = '/api/public/auth/public-key';

export const publicKey = {
  id: 'public-key',
  title: 'Public key: one-time login key, distinct X-Session-Id per request',
  contenders: ['tessera'],
  async prepare(h, def, state, { opts }) {
    const probe = await fetch(`${h.url}${PATH}`, { headers: { 'x-session-id': 'bench-probe' } });
    await probe.arrayBuffer();
    if (probe.status === 404) throw new Skip(`route not built: GET ${PATH}`);
    return {
      cpus: '0',
      specFor: () => ({ url: h.url, path: PATH, connections: opts.connections, duration: opts.durationS, vary: [{ kind: 'unique-header', header: 'x-session-id', prefix: 'bench-' }] }),
    };
  },
};
