import type { ErrorDef } from '../contract/errors.js';

/** The revocation feed's error codes. */
export const REVOCATION_FEED_ERRORS = {
  REVOCATION_FEED_FULL: {
    status: 503,
    en: 'Too many revocation streams are open on this node, try again shortly',
    zh: '此节点的撤销推送连接已满，请稍后重试',
  },
} as const satisfies Record<string, ErrorDef>;

declare module '../contract/errors.js' {
  interface FeatureErrorCodes {
    REVOCATION_FEED_FULL: true;
  }
}
