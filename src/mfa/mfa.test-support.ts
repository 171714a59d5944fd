import { expect } from 'vitest';
import type { ManualClock } from '../lib/clock.js';
import type { TestServer } from '../test-support/server.js';
import { totpCode } from './codes.js';

export const PW = 'a-strong-passphrase';
/** One TOTP step. */
export const STEP = 30_000;

/** Moves the clock to the start of the next time step, so each code in a test is fresh. */
export function nextStep(clock: ManualClock): void {
  clock.set((Math.floor(clock.now() / STEP) + 1) * STEP);
}

/** Logs in; answers the raw response. */
export function login(t: TestServer, username: string, extra: Record<string, unknown> = {}) {
  return t.call('POST', '/api/public/auth/login', { body: { username, password: PW, ...extra } });
}

/**
 * Registers `username`, enrols and confirms a TOTP factor; returns its secret
 * and recovery codes. Leaves the clock on a fresh step.
 */
export async function enrolled(
  t: TestServer,
  clock: ManualClock,
  username: string,
): Promise<{ secret: string; recovery: string[]; token: string }> {
  await t.register(username);
  const { access_token: token } = await t.login(username);
  const e = await t.call('POST', '/api/auth/mfa/totp/enroll', {
    token,
    body: { current_password: PW },
  });
  expect(e.statusCode, e.body).toBe(200);
  const secret = e.data.data.secret as string;
  const c = await t.call('POST', '/api/auth/mfa/totp/confirm', {
    token,
    body: { code: totpCode(secret, clock.now()) },
  });
  expect(c.statusCode, c.body).toBe(200);
  nextStep(clock);
  return { secret, recovery: c.data.data.recovery_codes as string[], token };
}

/** The audit rows of an event (after a flush). */
export async function auditRows(t: TestServer, event: string) {
  await t.rt.audit.flush();
  return t.rt.db.kysely.selectFrom('audit_events').selectAll().where('event', '=', event).execute();
}
