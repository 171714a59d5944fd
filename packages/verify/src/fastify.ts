import { VerifyError } from './errors.js';
import { bearerToken, missing, refusalOf } from './http.js';
import type { TesseraClaims, Verifier } from './verifier.js';

/** What the hook uses of Fastify's request. */
export interface FastifyRequestLike {
  headers: { authorization?: string | undefined };
}
/** What it uses of Fastify's reply. */
export interface FastifyReplyLike {
  code(status: number): FastifyReplyLike;
  header(name: string, value: string): FastifyReplyLike;
  send(body: unknown): unknown;
}

/**
 * A Fastify `onRequest` / `preHandler` hook: a valid access token's claims go to
 * `req.auth`; any other request is answered 401 (503 when revocations or keys cannot be
 * checked) with `{ code, error, message }`. No dependency on Fastify.
 *
 * @example
 * app.addHook('onRequest', tesseraAuth(verifier)); // every route of this (encapsulated) context
 * app.get('/me', { onRequest: tesseraAuth(verifier) }, (req) => ({ user: req.auth.sub }));
 */
export function tesseraAuth(verifier: Verifier) {
  if (!verifier || typeof verifier.verify !== 'function')
    throw new TypeError('tesseraAuth: a verifier from createVerifier() is required');
  return async function tesseraAuthHook(
    req: FastifyRequestLike,
    reply: FastifyReplyLike,
  ): Promise<unknown> {
    const header = req.headers.authorization;
    const token = bearerToken(header);
    try {
      if (!token) throw missing(header);
      (req as FastifyRequestLike & { auth?: TesseraClaims }).auth = await verifier.verify(token);
    } catch (e) {
      if (!(e instanceof VerifyError)) throw e;
      const r = refusalOf(e);
      reply.code(r.status);
      for (const [k, v] of Object.entries(r.headers)) reply.header(k, v);
      // An async hook that sends returns the reply: Fastify then stops the chain here.
      return reply.send(r.body);
    }
  };
}
