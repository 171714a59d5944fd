// Times one login (argon2id verify dominates) and one refresh rotation, in process,
// on the embedded default (SQLite file in a temp dir). Run: npm run build && node scripts/measure-lifecycle.mjs
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAppConfig } from '../dist/app/features.js';
import { createServer } from '../dist/app/server.js';
import { createPasswordHasher } from '../dist/passwords/hasher.js';

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const dir = mkdtempSync(join(tmpdir(), 'tessera-measure-'));
const config = loadAppConfig({
  TESSERA_DATA_DIR: dir,
  TESSERA_LOG_LEVEL: 'silent',
  TESSERA_ADMIN_PASSWORD: 'measure-admin-pw',
  TESSERA_LOGIN_ATTEMPTS_PER_IP_PER_HOUR: '1000000',
  TESSERA_MAX_SESSIONS_PER_USER: '1000',
  TESSERA_RSA_KEY_POOL_SIZE: '1',
});
const { app, close } = await createServer(config);
const call = async (url, body) =>
  JSON.parse((await app.inject({ method: 'POST', url, payload: body })).body);
await call('/api/public/auth/register', {
  username: 'measure',
  email: 'm@example.com',
  password: 'measure-password-1',
});

const h = createPasswordHasher();
const stored = await h.hash('measure-password-1');
const hashMs = [];
for (let i = 0; i < 30; i++) {
  const t = performance.now();
  await h.verify(stored, 'measure-password-1');
  hashMs.push(performance.now() - t);
}
const loginMs = [];
let refresh;
for (let i = 0; i < 30; i++) {
  const t = performance.now();
  const r = await call('/api/public/auth/login', {
    username: 'measure',
    password: 'measure-password-1',
  });
  loginMs.push(performance.now() - t);
  refresh = r.data.refresh_token;
}
const refreshMs = [];
for (let i = 0; i < 300; i++) {
  const t = performance.now();
  const r = await call('/api/public/auth/refresh', { refresh_token: refresh });
  refreshMs.push(performance.now() - t);
  refresh = r.data.refresh_token;
}
console.log(
  JSON.stringify({
    argon2idVerifyMs: +median(hashMs).toFixed(2),
    loginMs: +median(loginMs).toFixed(2),
    refreshMs: +median(refreshMs).toFixed(2),
    samples: { login: 30, refresh: 300 },
  }),
);
await close();
