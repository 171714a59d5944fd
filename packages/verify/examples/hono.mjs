import { Hono } from 'hono';
import { createVerifier } from '@tessera-auth/verify';
import { tesseraAuth } from '@tessera-auth/verify/hono';

const tessera = process.env.AUTH_URL; // e.g. https://auth.example.com
const verifier = createVerifier({
  issuer: process.env.TESSERA_ISSUER, // TESSERA_ISSUER of the server
  audience: process.env.TESSERA_AUDIENCE ?? 'tessera',
  jwksUrl: `${tessera}/.well-known/jwks.json`,
  revocations: {
    url: `${tessera}/api/service/revocations`,
    serviceToken: process.env.AUTH_SERVICE_TOKEN, // one of TESSERA_PUBLIC_API_TOKENS
  },
});

const app = new Hono();
app.use('/api/*', tesseraAuth(verifier));
app.get('/api/me', (c) => c.json({ user: c.get('auth').sub, name: c.get('auth').username }));

export default app; // Bun, Deno, Workers; on Node: serve(app) from @hono/node-server
export { verifier };
