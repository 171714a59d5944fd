import type { EndReason } from '../sessions/service.js';

/** The `reason` values API.md promises in `session_ended` frames. */
export type FrameReason = 'LOGGED_IN_ELSEWHERE' | 'LOGGED_OUT' | 'FORCE_LOGOUT' | 'EXPIRED';

/**
 * Session end reasons → frame reasons. API.md lists four; the others map to
 * the closest one a client can act on (the exact reason travels as `detail`):
 *  - SESSION_LIMIT: a newer login pushed this one out → LOGGED_IN_ELSEWHERE;
 *  - PASSWORD_CHANGED, USER_DISABLED, REFRESH_REUSE, REVOKED: ended by the
 *    server or an administrator, not by this client → FORCE_LOGOUT.
 */
export function frameReason(r: EndReason): FrameReason {
  switch (r) {
    case 'LOGGED_OUT':
    case 'LOGGED_IN_ELSEWHERE':
    case 'FORCE_LOGOUT':
    case 'EXPIRED':
      return r;
    case 'SESSION_LIMIT':
      return 'LOGGED_IN_ELSEWHERE';
    default:
      return 'FORCE_LOGOUT';
  }
}

/** WebSocket close code after a `session_ended` frame (API.md). */
export const CLOSE_SESSION_ENDED = 4001;
/** Slow consumer: unsent data above wsMaxBufferedBytes (RFC 6455 §7.4.1 "try again later"). */
export const CLOSE_SLOW = 1013;
/**
 * Server shutting down: 1012 "service restart" (IANA WebSocket close code registry), so a
 * client reconnects, to another node or to this one once it is back.
 */
export const CLOSE_SERVICE_RESTART = 1012;
