// The ceiling: a bare Fastify route returning the same JSON as Tessera's /me (CEILING_MODE=bare),
// or the same route doing only the signature check on the split token (rs256: crypto.verify,
// hs256: createHmac). No claims parsing, no cache, no revocation: what no auth server can beat.
import { createHmac, createPublicKey, timingSafeEqual, verify } from 'node:crypto';
import Fastify from 'fastify';

const port = Number(process.env.PORT ?? 3003);
const mode = process.env.CEILING_MODE ?? 'bare';
const body = process.env.CEILING_ME_JSON ?? '{"code":200,"message":"ok","data":{"userId":"1","username":"bench","authorities":["ROLE_USER"]}}';

function makeCheck() {
  if (mode === 'bare') return () => true;
  if (mode === 'rs256') {
    const raw = process.env.CEILING_PUBLIC_KEY ?? '';
    const key = raw.startsWith('{') ? createPublicKey({ key: JSON.parse(raw), format: 'jwk' }) : createPublicKey(raw);
    return (signed, sig) => verify('sha256', Buffer.from(signed), key, sig);
  }
  if (mode === 'hs256') {
    const secret = Buffer.from(process.env.CEILING_SECRET ?? '', 'utf8');
    return (signed, sig) => {
      const mac = createHmac('sha256', secret).update(signed).digest();
      return mac.length === sig.length && timingSafeEqual(mac, sig);
    };
  }
  throw new Error(`unknown CEILING_MODE ${mode}`);
}
const check = makeCheck();

const app = Fastify({ logger: false });
app.get('/healthz', async () => ({ status: 'ok' }));
app.get('/api/public/auth/me', (req, reply) => {
  const token = (req.headers.authorization ?? '').slice(7);
  const dot = token.lastIndexOf('.');
  if (mode !== 'bare' && !(dot > 0 && check(token.slice(0, dot), Buffer.from(token.slice(dot + 1), 'base64url')))) {
    reply.code(401).header('content-type', 'application/json').send('{"code":401,"error":"TOKEN_INVALID"}');
    return;
  }
  reply.header('content-type', 'application/json; charset=utf-8').send(body);
});
await app.listen({ port, host: '127.0.0.1' });
