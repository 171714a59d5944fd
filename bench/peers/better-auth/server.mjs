// Better Auth with its SQLite adapter (better-sqlite3), email + password, default scrypt hashing,
// validated with its own GET /api/auth/get-session and session cookie.
// Rate limiting is switched off, as it is for every contender, so the bench measures auth work.
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import { toNodeHandler } from 'better-auth/node';
import { takeEventLoopP99 } from '../eventloop.mjs';

const port = Number(process.env.PORT ?? 3002);
const dataDir = process.env.DATA_DIR ?? '.';
const secret = process.env.BETTER_AUTH_SECRET;
if (!secret) throw new Error('BETTER_AUTH_SECRET is required');

const db = new Database(join(dataDir, 'better-auth.sqlite'));
db.pragma('journal_mode = WAL');

const auth = betterAuth({
  database: db,
  secret,
  baseURL: `http://127.0.0.1:${port}`,
  emailAndPassword: { enabled: true },
  rateLimit: { enabled: false },
  telemetry: { enabled: false },
});
const { runMigrations } = await getMigrations(auth.options);
await runMigrations();
const handler = toNodeHandler(auth);

/**
 * Bench-only: creates `count` sessions for a user through Better Auth's own internal adapter
 * (the same call sign-in makes after the password check) and returns their signed cookies.
 * Lets the bench hold 10,000 live sessions without 10,000 scrypt sign-ins.
 */
async function mintSessions(body) {
  const ctx = await auth.$context;
  const found = await ctx.internalAdapter.findUserByEmail(body.email);
  if (!found) return { status: 404, json: { error: 'no such user' } };
  const name = ctx.authCookies.sessionToken.name;
  const cookies = [];
  for (let i = 0; i < Math.min(Number(body.count) || 1, 10_000); i++) {
    const session = await ctx.internalAdapter.createSession(found.user.id);
    const sig = createHmac('sha256', ctx.secret).update(session.token).digest('base64');
    cookies.push(`${name}=${encodeURIComponent(`${session.token}.${sig}`)}`);
  }
  return { status: 200, json: { cookies } };
}

const readJson = (req) =>
  new Promise((resolve) => {
    let data = '';
    req.on('data', (d) => (data += d));
    req.on('end', () => resolve(JSON.parse(data || '{}')));
  });

createServer(async (req, res) => {
  if (req.url === '/healthz') return res.end('{"status":"ok"}');
  if (req.url === '/bench/eventloop') return res.end(JSON.stringify(takeEventLoopP99()));
  if (req.url === '/bench/sessions' && req.method === 'POST') {
    const out = await mintSessions(await readJson(req));
    res.writeHead(out.status, { 'content-type': 'application/json' });
    return res.end(JSON.stringify(out.json));
  }
  return handler(req, res);
}).listen(port, '127.0.0.1');
