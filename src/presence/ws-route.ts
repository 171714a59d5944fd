import { servesTenants } from '../contract/tenant-routes.js';
import websocket from '@fastify/websocket';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { fail, TesseraError } from '../lib/errors.js';
import type { Hub } from './hub.js';
import { scopeOf } from './visibility.js';
import { selectProtocol, upgradeToken } from './ws-auth.js';

/** Inbound frames are tiny (`{"type":"ping"}`); anything bigger is refused by ws (close 1009). */
const MAX_INBOUND_BYTES = 4096;

/**
 * @fastify/websocket routes the upgrade through a ServerResponse assigned to
 * the TCP socket and never detaches it, so the socket pins the response, the
 * upgrade request (headers, URL with the token), Fastify's Request/Reply and a
 * child logger for its whole life: ~3.5 KiB per idle connection. Detaching
 * lets them go once the handshake is done.
 */
function releaseUpgradeRequest(ws: WebSocket): void {
  const raw = (ws as unknown as { _socket?: Socket & { _httpMessage?: ServerResponse | null } })
    ._socket;
  const res = raw?._httpMessage;
  if (raw && res) res.detachSocket(raw);
}

/**
 * `GET /ws` (seed 000). The token is checked in onRequest, before the
 * upgrade, so a refusal is a plain HTTP 401 with the error envelope and no
 * socket is ever opened for it. `user_id`, `user_name` and `user_type` query
 * parameters (the seed's URL carries them) are ignored: identity comes from
 * the token only.
 */
export function wsRoutes(hub: Hub) {
  async function authenticateUpgrade(req: FastifyRequest): Promise<void> {
    const token = upgradeToken(req);
    if (!token)
      throw new TesseraError(req.headers.authorization ? 'TOKEN_INVALID' : 'TOKEN_MISSING');
    // The tenant's keys, issuer and tid (the tenant hook ran first).
    const r = await req.tenantServices.authenticator.checkFresh(token);
    if (!r.ok) throw new TesseraError(r.code);
    req.auth = r.claims;
  }

  return async function routes(app: FastifyInstance): Promise<void> {
    servesTenants(app);
    // app.close(): before @fastify/websocket's own preClose (registered after this one), which
    // would close every socket with no code (1005). The server stops accepting meanwhile.
    app.addHook('preClose', (done) => {
      hub.closeAll();
      done();
    });
    await app.register(websocket, {
      options: {
        maxPayload: MAX_INBOUND_BYTES,
        // Compression costs ~300 KB of zlib state per socket under load; frames are tiny.
        perMessageDeflate: false,
        handleProtocols: (offered) => selectProtocol(offered),
      },
    });
    app.route({
      method: 'GET',
      url: '/ws',
      onRequest: authenticateUpgrade,
      schema: {
        hide: true,
        querystring: {
          type: 'object',
          properties: { jwt_token: { type: 'string', maxLength: 8192 } },
        },
      },
      // A plain GET (no Upgrade header) with a good token: say what is expected.
      handler: async () =>
        fail('VALIDATION_FAILED', { detail: 'GET /ws needs a WebSocket upgrade' }),
      wsHandler: (socket, req) => {
        const claims = req.auth!;
        releaseUpgradeRequest(socket);
        hub.attach(
          socket,
          claims,
          scopeOf(
            req.tenantServices.roles.permissionsOf(claims.roles ?? []),
            claims.user_type,
            claims.tid,
          ),
        );
      },
    });
  };
}
