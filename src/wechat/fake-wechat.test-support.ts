import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Who a code stands for: the openid WeChat gives in that app, and the company-wide unionid. */
export interface Person {
  openid: string;
  unionid?: string;
}

/**
 * A local stand-in for the WeChat server API, as documented: jscode2session
 * (codes single use: 40029 unknown, 40163 used), stable_token, and
 * getuserphonenumber (40001 for a token it did not issue last). Special
 * codes make it misbehave: `busy` (-1), `limited` (45011), `hang` (never
 * answers), `boom` (HTTP 500), `junk` (not JSON).
 */
export async function startFakeWechat() {
  const apps = new Map<string, string>();
  const codes = new Map<string, { appid: string; person: Person; used: boolean }>();
  const phones = new Map<string, string>();
  const tokens = new Map<string, string>();
  const sessionKeys: string[] = [];
  const calls = { session: 0, token: 0, phone: 0 };
  const opts = { tokenExpiresIn: 7200, tokenDelayMs: 0, rejectTokenOnce: false };
  let issued = 0;
  const hanging = new Set<ServerResponse>();

  const json = (res: ServerResponse, body: unknown, status = 200) => {
    res.statusCode = status;
    res.setHeader('content-type', 'text/plain');
    res.end(JSON.stringify(body));
  };
  const err = (res: ServerResponse, errcode: number) =>
    json(res, { errcode, errmsg: `e${errcode}` });
  const bodyOf = (req: IncomingMessage) =>
    new Promise<Record<string, unknown>>((resolve) => {
      let raw = '';
      req.on('data', (c) => (raw += c));
      req.on('end', () => {
        try {
          resolve(JSON.parse(raw || '{}'));
        } catch {
          resolve({});
        }
      });
    });
  const misbehave = (res: ServerResponse, code: string): boolean => {
    if (code === 'busy') err(res, -1);
    else if (code === 'limited') err(res, 45011);
    else if (code === 'hang') hanging.add(res);
    else if (code === 'boom') json(res, { oops: true }, 500);
    else if (code === 'junk') {
      res.statusCode = 200;
      res.end('<html>not json</html>');
    } else return false;
    return true;
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const q = url.searchParams;
    if (url.pathname === '/sns/jscode2session') {
      calls.session++;
      const appid = q.get('appid') ?? '';
      if (!apps.has(appid)) return err(res, 40013);
      if (apps.get(appid) !== q.get('secret')) return err(res, 40125);
      const code = q.get('js_code') ?? '';
      if (misbehave(res, code)) return;
      const c = codes.get(code);
      if (!c || c.appid !== appid) return err(res, 40029);
      if (c.used) return err(res, 40163);
      c.used = true;
      const session_key = randomBytes(16).toString('base64');
      sessionKeys.push(session_key);
      return json(res, { session_key, ...c.person });
    }
    if (url.pathname === '/cgi-bin/stable_token' && req.method === 'POST') {
      void bodyOf(req).then((b) => {
        calls.token++;
        const appid = String(b.appid);
        if (apps.get(appid) !== b.secret) return err(res, 40125);
        const access_token = `AT_${appid}_${(issued += 1)}_${randomBytes(6).toString('hex')}`;
        tokens.set(appid, access_token);
        setTimeout(
          () => json(res, { access_token, expires_in: opts.tokenExpiresIn }),
          opts.tokenDelayMs,
        );
      });
      return;
    }
    if (url.pathname === '/wxa/business/getuserphonenumber' && req.method === 'POST') {
      void bodyOf(req).then((b) => {
        calls.phone++;
        const token = q.get('access_token') ?? '';
        const appid = [...tokens].find(([, t]) => t === token)?.[0];
        if (!appid || opts.rejectTokenOnce) {
          opts.rejectTokenOnce = false;
          return err(res, 40001);
        }
        const code = String(b.code);
        if (misbehave(res, code)) return;
        const phone = phones.get(code);
        if (!phone) return err(res, 40029);
        phones.delete(code);
        return json(res, {
          errcode: 0,
          errmsg: 'ok',
          phone_info: {
            phoneNumber: phone,
            purePhoneNumber: phone,
            countryCode: '86',
            watermark: { timestamp: 1, appid },
          },
        });
      });
      return;
    }
    json(res, { errcode: 404 }, 404);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  let seq = 0;

  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    opts,
    /** Every session_key handed out (none may reach a client or the database). */
    sessionKeys,
    app(appid: string, secret: string) {
      apps.set(appid, secret);
    },
    /** A fresh wx.login() code of `person` in `appid`. */
    code(appid: string, person: Person): string {
      const code = `c${(seq += 1)}${randomBytes(6).toString('hex')}`;
      codes.set(code, { appid, person, used: false });
      return code;
    },
    /** A fresh getPhoneNumber code for `phone`. */
    phoneCode(phone: string): string {
      const code = `p${(seq += 1)}${randomBytes(6).toString('hex')}`;
      phones.set(code, phone);
      return code;
    },
    async close() {
      for (const r of hanging) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export type FakeWechat = Awaited<ReturnType<typeof startFakeWechat>>;
