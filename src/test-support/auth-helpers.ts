import { expect } from 'vitest';
import type { TestServer } from './server.js';

type Res = Awaited<ReturnType<TestServer['call']>>;

/** Asserts an error answer: HTTP status and the envelope's `error` code. */
export function expectError(res: Res, status: number, code: string): void {
  expect({ status: res.statusCode, error: res.data?.error }).toEqual({ status, error: code });
}

/** The error code of an answer, or 'OK' for a 2xx. */
export function outcome(res: Res): string {
  return res.statusCode < 300 ? 'OK' : String(res.data?.error ?? res.statusCode);
}

let seq = 0;
/** A unique, valid username for this file. */
export function uname(tag: string): string {
  seq += 1;
  return `${tag}${seq}_${Math.random().toString(36).slice(2, 7)}`;
}

/** Creates a user through the admin API; returns its id. */
export async function createUser(
  s: TestServer,
  adminToken: string,
  u: { username: string; password?: string; user_type?: string; roles?: string[] },
): Promise<number> {
  const body = { password: 'a-strong-passphrase', ...u };
  const r = await s.call('POST', '/api/admin/users', { token: adminToken, body });
  if (r.statusCode !== 201) throw new Error(`create ${u.username}: ${r.statusCode} ${r.body}`);
  return r.data.data.id as number;
}

/** GET /me with a token: 'OK' or the error code. */
export async function me(s: TestServer, token: string): Promise<string> {
  return outcome(await s.call('GET', '/api/public/auth/me', { token }));
}

/** Polls `fn` until it returns true, every 10 ms; returns the elapsed ms or throws after `timeoutMs`. */
export async function waitFor(
  fn: () => Promise<boolean> | boolean,
  timeoutMs = 1000,
): Promise<number> {
  const start = performance.now();
  for (;;) {
    if (await fn()) return performance.now() - start;
    if (performance.now() - start > timeoutMs)
      throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
