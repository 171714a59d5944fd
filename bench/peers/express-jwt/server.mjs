// The typical hand-rolled stack from the seeds: Express + jsonwebtoken + bcrypt (native `bcrypt`, cost 10).
// Users, refresh tokens and the logout denylist live in memory, as in most tutorials.
// Same routes and JSON envelope as Tessera's public auth so one client drives both.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import bcrypt from 'bcrypt';
import express from 'express';
import jwt from 'jsonwebtoken';
import { takeEventLoopP99 } from '../eventloop.mjs';

const port = Number(process.env.PORT ?? 3001);
const alg = process.env.JWT_ALG ?? 'RS256';
const cost = Number(process.env.BCRYPT_COST ?? 10);
const ACCESS_TTL = Number(process.env.ACCESS_TTL_SECONDS ?? 900);
const REFRESH_TTL = 604800;

// Typical code keeps PEM strings in env vars and passes them straight to jsonwebtoken.
function rsaPems() {
  if (process.env.JWT_PRIVATE_KEY) return [process.env.JWT_PRIVATE_KEY, process.env.JWT_PUBLIC_KEY];
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return [pair.privateKey.export({ type: 'pkcs8', format: 'pem' }), pair.publicKey.export({ type: 'spki', format: 'pem' })];
}
const [signKey, verifyKey] = alg === 'RS256' ? rsaPems() : [process.env.JWT_SECRET, process.env.JWT_SECRET];
if (!signKey) throw new Error('JWT_SECRET is required for HS256');

const users = new Map(); // username -> { id, username, email, hash }
const usersById = new Map();
const refreshTokens = new Map(); // jti -> userId
const revoked = new Set(); // access-token jti

const ok = (res, data, code = 200) => res.status(code).json({ code, message: 'ok', data });
const fail = (res, code, error) => res.status(code).json({ code, message: `${error}: ${error}`, error, data: null });

function issue(user) {
  const access_token = jwt.sign({ sub: user.id, username: user.username, role: 'ROLE_USER' }, signKey, {
    algorithm: alg,
    expiresIn: ACCESS_TTL,
    jwtid: randomUUID(),
  });
  const jti = randomUUID();
  refreshTokens.set(jti, user.id);
  const refresh_token = jwt.sign({ sub: user.id, typ: 'refresh' }, signKey, { algorithm: alg, expiresIn: REFRESH_TTL, jwtid: jti });
  return { access_token, refresh_token, token_type: 'Bearer', expires_in: ACCESS_TTL, refresh_expires_in: REFRESH_TTL };
}

function authenticate(req, res, next) {
  const header = req.headers.authorization ?? '';
  if (!header.startsWith('Bearer ')) return fail(res, 401, 'TOKEN_MISSING');
  try {
    const claims = jwt.verify(header.slice(7), verifyKey, { algorithms: [alg] });
    if (revoked.has(claims.jti)) return fail(res, 401, 'TOKEN_REVOKED');
    req.claims = claims;
    next();
  } catch {
    fail(res, 401, 'TOKEN_INVALID');
  }
}

const app = express();
app.use(express.json());
const r = express.Router();

r.post('/register', async (req, res) => {
  const { username, email, password } = req.body ?? {};
  if (!username || !password) return fail(res, 400, 'VALIDATION_FAILED');
  if (users.has(username)) return fail(res, 409, 'USER_EXISTS');
  const user = { id: randomUUID(), username, email, hash: await bcrypt.hash(password, cost) };
  users.set(username, user);
  usersById.set(user.id, user);
  ok(res, null, 201);
});

r.post('/login', async (req, res) => {
  const { username, password } = req.body ?? {};
  const user = users.get(username);
  if (!user || !(await bcrypt.compare(String(password), user.hash))) return fail(res, 401, 'INVALID_CREDENTIALS');
  ok(res, issue(user));
});

r.post('/refresh', (req, res) => {
  try {
    const claims = jwt.verify(String(req.body?.refresh_token), verifyKey, { algorithms: [alg] });
    if (claims.typ !== 'refresh' || !refreshTokens.delete(claims.jti)) return fail(res, 401, 'TOKEN_INVALID');
    const user = usersById.get(claims.sub);
    if (!user) return fail(res, 401, 'TOKEN_INVALID');
    ok(res, issue(user));
  } catch {
    fail(res, 401, 'TOKEN_INVALID');
  }
});

r.post('/logout', authenticate, (req, res) => {
  revoked.add(req.claims.jti);
  ok(res, null);
});

r.get('/me', authenticate, (req, res) => {
  ok(res, { userId: req.claims.sub, username: req.claims.username, authorities: [req.claims.role] });
});

app.use('/api/public/auth', r);
app.get('/healthz', (_req, res) => res.json({ status: 'ok' }));
app.get('/bench/eventloop', (_req, res) => res.json(takeEventLoopP99()));
app.listen(port, '127.0.0.1');
