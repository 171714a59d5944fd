// Scenario 5: GET /api/public/auth/public-key, a distinct X-Session-Id per request, after a warm-up.
// Two modes (docs/decisions/0003-encrypted-login.md): the seed default hands out one-time key pairs
// from a pre-generated pool (sustained rate = the pool's refill rate, 503 once it is empty), and
// ?alg=RSA-OAEP-256 shares a rotated key pair across key ids.
import { Skip } from '../contenders.mjs';

const PATH = '/api/public/auth/public-key';

function publicKeyScenario(id, title, query) {
  return {
    id,
    title,
    contenders: ['tessera'],
    async prepare(h, def, state, { opts }) {
      const probe = await fetch(`${h.url}${PATH}${query}`, { headers: { 'x-session-id': 'bench-probe' } });
      await probe.arrayBuffer();
      if (probe.status === 404) throw new Skip(`route not built: GET ${PATH}`);
      return {
        cpus: '0',
        specFor: () => ({
          url: h.url,
          path: `${PATH}${query}`,
          connections: opts.connections,
          duration: opts.durationS,
          vary: [{ kind: 'unique-header', header: 'x-session-id', prefix: `bench-${id}-` }],
        }),
      };
    },
  };
}

export const publicKey = publicKeyScenario('public-key', 'Public key, seed default (one-time key pair per key id, pre-generated pool)', '');
export const publicKeyShared = publicKeyScenario('public-key-oaep', 'Public key, ?alg=RSA-OAEP-256 (shared, rotated key pair)', '?alg=RSA-OAEP-256');
