/**
 * Shapes shared by the presence module: what the cluster store keeps per
 * online user, and the frames the server sends on `/ws` (API.md "Realtime presence").
 */

/** One online user as listed by `GET /auth/online`. `user_id` is the token's `sub`. */
export interface OnlineUser {
  user_id: string;
  username: string;
  user_type: string;
  /** When this user came online (ms since the epoch). */
  since: number;
  /** The user's tenant; absent = default (the lists of a tenant show its users only). */
  tenant?: string;
}

export type PresenceStatus = 'online' | 'offline';

/** Bus message and WebSocket frame, identical: `{type:"presence", ...}`. */
export interface PresenceFrame {
  type: 'presence';
  user_id: string;
  user_type: string;
  status: PresenceStatus;
  /** When the change happened on the node that saw it (ms since the epoch). */
  at: number;
  /** The user's tenant; absent = default. Only sockets of that tenant receive the frame. */
  tenant?: string;
}

/** Bus channel carrying PresenceFrame to every node. */
export const PRESENCE_CHANNEL = 'presence';
