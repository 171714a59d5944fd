import { bearerToken } from '../tokens/authenticate.js';

/** Longest token accepted at the upgrade; anything longer is not ours. */
const MAX_TOKEN = 8192;

export interface UpgradeRequest {
  headers: { authorization?: string | undefined; 'sec-websocket-protocol'?: string | undefined };
  query: unknown;
}

/** Subprotocol a client offers together with its token: `Sec-WebSocket-Protocol: bearer, <token>`. */
const BEARER_PROTOCOL = 'bearer';

function fromProtocols(header: string | undefined): string | null {
  if (!header) return null;
  const parts = header.split(',').map((s) => s.trim());
  const i = parts.indexOf(BEARER_PROTOCOL);
  if (i < 0) return null;
  return parts[i + 1] ?? null;
}

/**
 * The access token of a WebSocket upgrade, in order of preference:
 * `Authorization: Bearer`, the subprotocol pair `bearer, <token>` (browsers
 * cannot set headers), then `?jwt_token=` (seed 000's form).
 */
export function upgradeToken(req: UpgradeRequest): string | null {
  const q = req.query as { jwt_token?: unknown } | undefined;
  const t =
    bearerToken(req.headers.authorization) ??
    fromProtocols(req.headers['sec-websocket-protocol']) ??
    (typeof q?.jwt_token === 'string' && q.jwt_token.length ? q.jwt_token : null);
  return t && t.length <= MAX_TOKEN ? t : null;
}

/**
 * `ws` handleProtocols: answer `bearer` when offered (RFC 6455 §4.2.2: a
 * client that offered subprotocols fails the connection if none is selected);
 * never echo the token itself.
 */
export function selectProtocol(offered: Set<string>): string | false {
  return offered.has(BEARER_PROTOCOL) ? BEARER_PROTOCOL : false;
}
