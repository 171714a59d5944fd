/**
 * The identities core (issue 14): finding or creating the user of an
 * external identity, the unionid merge, linking and unlinking with their two
 * rules, tenant isolation, and the login entry that runs the same pipeline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantId } from '../db/scope.js';
import { isTesseraError } from '../lib/errors.js';
import { dialects } from '../test-support/db.js';
import { me } from '../test-support/auth-helpers.js';
import { createTestServer, type TestServer } from '../test-support/server.js';
import type { ExternalProfile } from './types.js';

const ACME = 'acme' as TenantId;
const meta = { ip: '203.0.113.7', userAgent: 'test', deviceId: null };
const actor = { ip: '203.0.113.7', userAgent: 'test' };
let seq = 0;
const openid = () => `o${Date.now().toString(36)}${(seq += 1)}`;
const wx = (appid: string, subject = openid(), extra: Partial<ExternalProfile> = {}) => ({
  provider: `wechat-mp:${appid}`,
  subject,
  ...extra,
});

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (e) {
    if (isTesseraError(e)) return e.code;
    throw e;
  }
}

describe.each(dialects())('identities core (%s)', (dialect) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await createTestServer({ dialect });
    await t.rt.tenants.create(ACME, 'Acme');
  });
  afterAll(() => t?.close());

  it('a new identity makes a user without a usable password; the next time finds it', async () => {
    const ids = t.rt.identities;
    const p = wx('wxapp1');
    const first = await ids.resolveOrCreate(p, { create: true });
    expect(first.created).toBe(true);
    expect(first.user.username).toMatch(/^wx_[a-z2-9]{10}$/);
    expect(first.user.password_hash.startsWith('$')).toBe(false);
    const again = await ids.resolveOrCreate(p, { create: true });
    expect(again).toMatchObject({ created: false, user: { id: first.user.id } });
    expect(await ids.list(first.user.id)).toEqual([
      expect.objectContaining({ provider: 'wechat-mp:wxapp1', subject: p.subject, union_id: null }),
    ]);
    expect((await ids.find(p.provider, p.subject))?.last_login_at).toEqual(expect.any(Number));
    // No password logs in to it: not even the marker itself.
    for (const password of ['', '!none', first.user.password_hash]) {
      const r = await t.call('POST', '/api/public/auth/login', {
        body: { username: first.user.username, password },
      });
      expect(r.statusCode, r.body).toBeGreaterThanOrEqual(400);
    }
    // Without creation an unknown identity finds nobody.
    expect(await codeOf(ids.resolveOrCreate(wx('wxapp1'), { create: false }))).toBe(
      'INVALID_CREDENTIALS',
    );
  });

  it('the same unionid in two apps of the tenant is one user', async () => {
    const ids = t.rt.identities;
    const unionId = `u-${openid()}`;
    const a = await ids.resolveOrCreate(wx('appA', openid(), { unionId }), { create: true });
    const b = await ids.resolveOrCreate(wx('appB', openid(), { unionId }), { create: true });
    expect(b).toMatchObject({ created: false, user: { id: a.user.id } });
    expect((await ids.list(a.user.id)).map((r) => r.provider).sort()).toEqual([
      'wechat-mp:appA',
      'wechat-mp:appB',
    ]);
    expect((await ids.findByUnion(unionId))?.user_id).toBe(a.user.id);
    // A unionid WeChat sends only later (the app joined the open platform) is recorded.
    const late = wx('appC');
    const c = await ids.resolveOrCreate(late, { create: true });
    const lateUnion = `u-${openid()}`;
    await ids.resolveOrCreate({ ...late, unionId: lateUnion }, { create: true });
    expect((await ids.findByUnion(lateUnion))?.user_id).toBe(c.user.id);
  });

  it('a provider suggestion becomes the username, made unique; a verified free e-mail is kept', async () => {
    const ids = t.rt.identities;
    const one = await ids.resolveOrCreate(
      {
        provider: 'oauth:test',
        subject: openid(),
        preferredUsername: 'Grace Hopper!',
        email: 'grace@example.com',
        emailVerified: true,
        displayName: 'Grace',
      },
      { create: true },
    );
    expect(one.user).toMatchObject({
      username: 'GraceHopper',
      email: 'grace@example.com',
      display_name: 'Grace',
      email_verified_at: expect.any(Number),
    });
    // The same suggestion and the same address from someone else: another name, no e-mail.
    const two = await ids.resolveOrCreate(
      {
        provider: 'oauth:test',
        subject: openid(),
        preferredUsername: 'GraceHopper',
        email: 'grace@example.com',
        emailVerified: true,
      },
      { create: true },
    );
    expect(two.user.username).toMatch(/^GraceHopper_[a-z2-9]{5}$/);
    expect(two.user.email).toBeNull();
    // An unverified address never reaches the user row.
    const three = await ids.resolveOrCreate(
      { provider: 'oauth:test', subject: openid(), email: 'free@example.com' },
      { create: true },
    );
    expect(three.user.email).toBeNull();
    expect((await ids.list(three.user.id))[0]).toMatchObject({
      email: 'free@example.com',
      email_verified: false,
    });
  });

  it('concurrent first logins of one identity make one user', async () => {
    const p = wx('race');
    const all = await Promise.all(
      Array.from({ length: 4 }, () => t.rt.identities.resolveOrCreate(p, { create: true })),
    );
    expect(new Set(all.map((r) => r.user.id)).size).toBe(1);
    expect(all.filter((r) => r.created)).toHaveLength(1);
  });

  it('link: idempotent for its owner, IDENTITY_IN_USE for another user, CONFLICT for a second of one provider', async () => {
    const ids = t.rt.identities;
    await t.register('linker');
    await t.register('other');
    const linker = (await t.rt.users.byLoginName('linker'))!;
    const other = (await t.rt.users.byLoginName('other'))!;
    const p = wx('bind', openid(), { unionId: `u-${openid()}` });
    const row = await ids.link(linker.id, p, actor);
    expect(await ids.link(linker.id, p, actor)).toEqual(row);
    expect(await codeOf(ids.link(other.id, p, actor))).toBe('IDENTITY_IN_USE');
    // The same person by unionid, through another app: also someone else's.
    expect(
      await codeOf(ids.link(other.id, wx('bind2', openid(), { unionId: p.unionId }), actor)),
    ).toBe('IDENTITY_IN_USE');
    expect(await codeOf(ids.link(linker.id, wx('bind'), actor))).toBe('CONFLICT');
    await t.rt.audit.flush();
    const rows = await t.rt.db.kysely
      .selectFrom('audit_events')
      .selectAll()
      .where('event', '=', 'identity.link')
      .where('user_id', '=', linker.id)
      .execute();
    expect(rows).toHaveLength(1);
    expect(JSON.parse(rows[0]!.data!)).toEqual({ provider: 'wechat-mp:bind', by: 'link' });
  });

  it('unlink: LAST_LOGIN_METHOD without a password or another identity, else allowed', async () => {
    const ids = t.rt.identities;
    const { user } = await ids.resolveOrCreate(wx('solo'), { create: true });
    expect(await codeOf(ids.unlink(user.id, 'wechat-mp:solo', actor))).toBe('LAST_LOGIN_METHOD');
    await ids.link(user.id, wx('second'), actor);
    // Two unlinks at once: one passes, the other finds the last method.
    const both = await Promise.all([
      codeOf(ids.unlink(user.id, 'wechat-mp:solo', actor)),
      codeOf(ids.unlink(user.id, 'wechat-mp:second', actor)),
    ]);
    expect(both.sort()).toEqual(['LAST_LOGIN_METHOD', 'OK']);
    expect(await ids.list(user.id)).toHaveLength(1);
    expect(await codeOf(ids.unlink(user.id, 'wechat-mp:nothing', actor))).toBe('NOT_FOUND');
    // A user with a password may drop every identity.
    await t.register('haspw');
    const pw = (await t.rt.users.byLoginName('haspw'))!;
    await ids.link(pw.id, wx('pw'), actor);
    expect(await codeOf(ids.unlink(pw.id, 'wechat-mp:pw', actor))).toBe('OK');
    expect(await ids.list(pw.id)).toEqual([]);
  });

  it('tenants are apart: the same openid is two users, each tenant sees only its own', async () => {
    const p = wx('shared');
    const inDefault = await t.rt.identities.resolveOrCreate(p, { create: true });
    const acme = await t.rt.forTenant(ACME);
    expect(await acme.identities.find(p.provider, p.subject)).toBeUndefined();
    const inAcme = await acme.identities.resolveOrCreate(p, { create: true });
    expect(inAcme.created).toBe(true);
    expect(inAcme.user.id).not.toBe(inDefault.user.id);
    expect(await acme.identities.list(inDefault.user.id)).toEqual([]);
    expect(await codeOf(acme.identities.unlink(inDefault.user.id, p.provider, actor))).toBe(
      'NOT_FOUND',
    );
  });

  it('loginWithIdentity runs the pipeline: tokens, login.success with the method, disabled refused', async () => {
    const p = wx('login');
    const r = await t.rt.auth.loginWithIdentity(p, meta, { method: 'wechat', create: true });
    expect(await me(t, r.tokens.access_token)).toBe('OK');
    await t.rt.audit.flush();
    const ok = await t.rt.db.kysely
      .selectFrom('audit_events')
      .selectAll()
      .where('event', '=', 'login.success')
      .where('user_id', '=', r.user.id)
      .execute();
    expect(JSON.parse(ok[0]!.data!)).toEqual({ method: 'wechat' });
    // An identity no user has, without creation: refused and audited like a wrong password.
    await expect(
      t.rt.auth.loginWithIdentity(wx('login'), meta, { method: 'wechat', create: false }),
    ).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    // A user type the account does not have.
    await expect(
      t.rt.auth.loginWithIdentity(p, meta, { method: 'wechat', create: true, user_type: 'kefu' }),
    ).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    await t.rt.accounts.update(r.user.id, { status: 'disabled' }, { actorId: null });
    await expect(
      t.rt.auth.loginWithIdentity(p, meta, { method: 'wechat', create: true }),
    ).rejects.toMatchObject({ code: 'ACCOUNT_DISABLED' });
  });
});
