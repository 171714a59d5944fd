import type { ErrorDef } from '../contract/errors.js';

/** The revocation feed's error codes. */
export const REVOCATION_FEED_ERRORS = {
  REVOCATION_FEED_FULL: {
    status: 503,
    en: 'Too many revocation streams are open on this node, try again shortly',
    zh: '此节点的撤销推送连接已满，请稍后重试',
    help: {
      causes:
        'More resource servers (or verifier instances) follow the revocation stream of this node than it serves at once (256), often because each worker process of an application opens its own.',
      fix: 'Retry after the `Retry-After` seconds (the verifier does); share one verifier per process, or spread the streams over more Tessera nodes behind the proxy.',
    },
  },
} as const satisfies Record<string, ErrorDef>;

declare module '../contract/errors.js' {
  interface FeatureErrorCodes {
    REVOCATION_FEED_FULL: true;
  }
}
