import type { Feature } from '../feature/contract.js';
import { REVOCATION_FEED_FIELDS } from './config.js';
import { REVOCATION_FEED_ERRORS } from './errors.js';
import { revocationFeedRoutes } from './routes.js';
import { createStreamHub } from './streams.js';
import { createFeedWindow } from './window.js';

/**
 * The revocation feed (decision 0025): resource servers verifying Tessera's access tokens
 * themselves (packages/verify) learn of logouts, force logouts, denylisted tokens and
 * per-user cut-offs within milliseconds, by server-sent events every node can serve.
 */
export const revocationFeedFeature: Feature = {
  name: 'revocation-feed',
  config: REVOCATION_FEED_FIELDS,
  errors: REVOCATION_FEED_ERRORS,
  start({ core }) {
    const window = createFeedWindow(core.config.revocationFeedWindow);
    const hub = createStreamHub({
      window,
      maxStreams: () => core.config.revocationFeedMaxStreams,
      heartbeatMs: core.config.revocationFeedHeartbeatMs,
      maxBufferedBytes: () => core.config.revocationFeedMaxBufferedBytes,
      onSlowClient: () => core.log.warn('revocation stream closed: its client reads too slowly'),
    });
    // Every revocation this node applies, whichever way it came (commit, bus, poll, load).
    const off = core.revocations.onRevoke((r) => window.append(r));
    return {
      routes: () => [
        {
          api: revocationFeedRoutes({
            window,
            hub,
            scope: core.sql.scope,
            clock: core.clock,
          }),
        },
      ],
      stop() {
        off();
        hub.closeAll();
        hub.stop();
      },
    };
  },
};
