// HTTP clients used to set contenders up (register, log in, mint tokens) and to probe revocation.
// Tessera and the Express peer share one contract; Better Auth has its own paths and cookies.

const json = { 'content-type': 'application/json' };
const BENCH_PASSWORD = 'Bench-passw0rd-2026!';

export const benchUser = (tag, i) => ({
  username: `bench_${tag}_${i}`,
  email: `bench_${tag}_${i}@bench.invalid`,
  password: BENCH_PASSWORD,
});

async function call(url, init) {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body, headers: res.headers };
}

/** Tessera's public auth contract (also spoken by the Express peer). `xff`: vary X-Forwarded-For per call. */
export function contractClient(base, { xff = false } = {}) {
  let n = 0;
  const hdr = (extra = {}, body = true) => {
    const h = { ...(body ? json : {}), ...extra };
    if (xff) {
      const i = n++;
      h['x-forwarded-for'] = `10.${200 + ((i >> 16) & 31)}.${(i >> 8) & 255}.${i & 255}`;
    }
    return h;
  };
  const api = `${base}/api/public/auth`;
  const unwrap = (r, what) => {
    if (r.status !== 200 || !r.body?.data) throw new Error(`${what} answered ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
    return r.body.data;
  };
  return {
    kind: 'contract',
    validate: { path: '/api/public/auth/me', header: 'authorization', prefix: 'Bearer ' },
    loginPath: '/api/public/auth/login',
    refreshPath: '/api/public/auth/refresh',
    xff,
    loginBody: (u) => JSON.stringify({ username: u.username, password: u.password }),
    async register(u) {
      const r = await call(`${api}/register`, { method: 'POST', headers: hdr(), body: JSON.stringify({ username: u.username, email: u.email, password: u.password }) });
      if (r.status !== 201 && r.status !== 409) throw new Error(`register answered ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
    },
    async login(u) {
      const d = unwrap(await call(`${api}/login`, { method: 'POST', headers: hdr(), body: this.loginBody(u) }), 'login');
      return { access: d.access_token, refresh: d.refresh_token };
    },
    async refresh(rt) {
      const d = unwrap(await call(`${api}/refresh`, { method: 'POST', headers: hdr(), body: JSON.stringify({ refresh_token: rt }) }), 'refresh');
      return { access: d.access_token, refresh: d.refresh_token };
    },
    async logout(at) {
      // No body, so no content-type: an empty JSON body is a 400, as in Fastify generally.
      const r = await call(`${api}/logout`, { method: 'POST', headers: hdr({ authorization: `Bearer ${at}` }, false) });
      return r.status === 200 || r.status === 204;
    },
    async me(at, onBase = base) {
      const r = await call(`${onBase}/api/public/auth/me`, { headers: { authorization: `Bearer ${at}` } });
      return { ok: r.status === 200, status: r.status, body: r.body };
    },
    /** Which route answers 404 (not built yet), if any. */
    async missingRoute() {
      for (const [method, path] of [['POST', 'register'], ['POST', 'login'], ['POST', 'refresh'], ['POST', 'logout'], ['GET', 'me']]) {
        const r = await call(`${api}/${path}`, { method, headers: json, body: method === 'POST' ? '{}' : undefined });
        if (r.status === 404) return `${method} /api/public/auth/${path}`;
      }
      return undefined;
    },
  };
}

/** Better Auth: email + password, session cookie, GET /api/auth/get-session. */
export function betterAuthClient(base) {
  const api = `${base}/api/auth`;
  const origin = { origin: base };
  return {
    kind: 'better-auth',
    validate: { path: '/api/auth/get-session', header: 'cookie', prefix: '' },
    loginPath: '/api/auth/sign-in/email',
    loginBody: (u) => JSON.stringify({ email: u.email, password: u.password }),
    async register(u) {
      const r = await call(`${api}/sign-up/email`, { method: 'POST', headers: { ...json, ...origin }, body: JSON.stringify({ email: u.email, password: u.password, name: u.username }) });
      if (r.status !== 200 && r.status !== 422) throw new Error(`sign-up answered ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
    },
    async login(u) {
      const r = await call(`${api}/sign-in/email`, { method: 'POST', headers: { ...json, ...origin }, body: this.loginBody(u) });
      if (r.status !== 200) throw new Error(`sign-in answered ${r.status}`);
      return { access: r.headers.get('set-cookie').split(';')[0] };
    },
    /** Many live sessions through Better Auth's internal adapter (see peers/better-auth/server.mjs). */
    async mintSessions(u, count) {
      const r = await call(`${base}/bench/sessions`, { method: 'POST', headers: json, body: JSON.stringify({ email: u.email, count }) });
      if (r.status !== 200) throw new Error(`mint sessions answered ${r.status}`);
      return r.body.cookies;
    },
    async logout(cookie) {
      const r = await call(`${api}/sign-out`, { method: 'POST', headers: { ...json, ...origin, cookie }, body: '{}' });
      return r.status === 200;
    },
    async me(cookie, onBase = base) {
      const r = await call(`${onBase}/api/auth/get-session`, { headers: { cookie } });
      return { ok: r.status === 200 && r.body !== null && typeof r.body === 'object', status: r.status, body: r.body };
    },
    async missingRoute() {
      return undefined;
    },
  };
}
