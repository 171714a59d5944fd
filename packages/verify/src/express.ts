import { VerifyError } from './errors.js';
import { bearerToken, missing, refusalOf } from './http.js';
import type { TesseraClaims, Verifier } from './verifier.js';

/** What the middleware uses of Express's request (and of node:http's). */
export interface RequestLike {
  headers: { authorization?: string | undefined };
}
/** What it uses of the response: node:http's ServerResponse, which Express's extends. */
export interface ResponseLike {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body: string): unknown;
}

/**
 * Express (or Connect, or node:http) middleware: a valid access token's claims go to
 * `req.auth`; any other request is answered 401 (503 when revocations or keys cannot be
 * checked) with `{ code, error, message }`. No dependency on Express.
 *
 * @example
 * app.use('/api', tesseraAuth(verifier));
 * app.get('/api/me', (req, res) => res.json({ user: req.auth.sub }));
 */
export function tesseraAuth(verifier: Verifier) {
  if (!verifier || typeof verifier.verify !== 'function')
    throw new TypeError('tesseraAuth: a verifier from createVerifier() is required');
  return function tesseraAuthMiddleware(
    req: RequestLike,
    res: ResponseLike,
    next: (err?: unknown) => void,
  ): void {
    const header = req.headers.authorization;
    const token = bearerToken(header);
    const run = token ? verifier.verify(token) : Promise.reject(missing(header));
    run.then(
      (claims) => {
        (req as RequestLike & { auth?: TesseraClaims }).auth = claims;
        next();
      },
      (e: unknown) => {
        if (!(e instanceof VerifyError)) return next(e);
        const r = refusalOf(e);
        res.statusCode = r.status;
        for (const [k, v] of Object.entries(r.headers)) res.setHeader(k, v);
        res.setHeader('content-type', 'application/json; charset=utf-8');
        res.end(JSON.stringify(r.body));
      },
    );
  };
}

declare global {
  // Express's own request type (@types/express merges into this namespace).
  // eslint-disable-next-line @typescript-eslint/no-namespace -- the only way to extend Express.Request without importing express
  namespace Express {
    interface Request {
      /** The verified access token's claims (set by tesseraAuth). */
      auth?: TesseraClaims;
    }
  }
}
