import { solveChallenge, type Challenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/sha';
import type { TestServer } from '../test-support/server.js';

/** What a browser does: fetch a challenge, solve the proof of work, post base64(JSON) as `captcha`. */
export async function solveCaptcha(
  t: TestServer,
  purpose: 'login' | 'register' = 'login',
): Promise<string> {
  const r = await t.call('GET', `/api/public/captcha/challenge?purpose=${purpose}`);
  if (r.statusCode !== 200) throw new Error(`challenge: ${r.statusCode} ${r.body}`);
  const challenge = r.data.data.challenge as Challenge;
  const solution = await solveChallenge({ challenge, deriveKey });
  if (!solution) throw new Error('no solution');
  return Buffer.from(JSON.stringify({ challenge, solution })).toString('base64');
}

/** A login from a given peer address (app.inject's remoteAddress), optionally through a proxy header. */
export async function loginFrom(
  t: TestServer,
  ip: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/public/auth/login',
    remoteAddress: ip,
    headers,
    payload: body,
  });
  return {
    status: res.statusCode,
    body: JSON.parse(res.body) as { error?: string; data: unknown },
    headers: res.headers,
  };
}
