import Fastify from 'fastify';
import { createVerifier } from '@tessera-auth/verify';
import { tesseraAuth } from '@tessera-auth/verify/fastify';

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

const app = Fastify();
app.decorateRequest('auth', null);
app.addHook('onRequest', tesseraAuth(verifier));
app.get('/api/me', async (req) => ({ user: req.auth.sub, name: req.auth.username }));

await app.listen({ port: Number(process.env.PORT ?? 3000) });
export { app, verifier };
