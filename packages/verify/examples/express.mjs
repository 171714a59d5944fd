import express from 'express';
import { createVerifier } from '@tessera-auth/verify';
import { tesseraAuth } from '@tessera-auth/verify/express';

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

const app = express();
app.use('/api', tesseraAuth(verifier));
app.get('/api/me', (req, res) => res.json({ user: req.auth.sub, name: req.auth.username }));

export const server = app.listen(Number(process.env.PORT ?? 3000));
export { verifier };
