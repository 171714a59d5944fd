import { VerifyError } from './errors.js';
import { bearerToken, missing, refusalOf } from './http.js';
import type { TesseraClaims, Verifier } from './verifier.js';

/** What the middleware uses of Hono's context. */
export interface HonoContextLike {
  req: { header(name: string): string | undefined };
  set(key: 'auth', value: TesseraClaims): void;
  json(body: unknown, status: number, headers: Record<string, string>): Response;
}

/**
 * Hono middleware: a valid access token's claims go to `c.get('auth')`; any other request is
 * answered 401 (503 when revocations or keys cannot be checked) with `{ code, error, message }`.
 * No dependency on Hono.
 *
 * @example
 * const app = new Hono<{ Variables: { auth: TesseraClaims } }>();
 * app.use('/api/*', tesseraAuth(verifier));
 * app.get('/api/me', (c) => c.json({ user: c.get('auth').sub }));
 */
export function tesseraAuth(verifier: Verifier) {
  if (!verifier || typeof verifier.verify !== 'function')
    throw new TypeError('tesseraAuth: a verifier from createVerifier() is required');
  return async function tesseraAuthMiddleware(
    c: HonoContextLike,
    next: () => Promise<void>,
  ): Promise<Response | void> {
    const header = c.req.header('authorization');
    const token = bearerToken(header);
    try {
      if (!token) throw missing(header);
      c.set('auth', await verifier.verify(token));
    } catch (e) {
      if (!(e instanceof VerifyError)) throw e;
      const r = refusalOf(e);
      return c.json(r.body, r.status, r.headers);
    }
    await next();
  };
}
