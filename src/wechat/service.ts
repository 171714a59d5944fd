import type { RequestMeta } from '../contract/meta.js';
import { inUnit } from '../db/unit.js';
import type { Core, TenantServices } from '../feature/contract.js';
import type { AuditActor, IdentityRow } from '../identities/types.js';
import { fail, isTesseraError, rateLimited } from '../lib/errors.js';
import type { LoginResult } from '../login/pipeline.js';
import { ipKey } from '../rate-limit/ip-key.js';
import { checkPhone } from '../users/identity.js';
import type { AccessTokens } from './access-token.js';
import type { ResolvedApp, WechatApps } from './apps.js';
import type { WechatClient } from './client.js';

/** The provider key of a mini-program's openids (src/identities/). */
const providerOf = (appId: string) => `wechat-mp:${appId}`;
const PROVIDER_PREFIX = 'wechat-mp:';

export interface WechatLoginBody {
  code: string;
  app_id?: string | undefined;
  phone_code?: string | undefined;
  user_type?: string | undefined;
  captcha?: string | undefined;
  mfa_code?: string | undefined;
}

/**
 * WeChat mini-program login, binding and the phone number (issue 14 items
 * 1–3). The code of `wx.login()` is exchanged with WeChat here; what it
 * proves (the openid, the unionid) goes into the login pipeline as an
 * external identity (auth.loginWithIdentity), so that the login policy,
 * session cap, brute-force ladder, second factor, audit and alerts are those
 * of a password login. The session_key WeChat answers with is dropped by the
 * client on arrival: Tessera decrypts nothing with it, and keeps nothing of it.
 */
export function createWechatService(d: {
  core: Core;
  client: WechatClient;
  apps: WechatApps;
  tokens: AccessTokens;
}) {
  const { core, client } = d;
  const log = core.log.child({ mod: 'wechat' });
  const exchanges = core.limiters({
    name: 'wechat-exchange',
    points: core.config.wechatExchangesPerIpPerMinute,
    durationSec: 60,
  });

  /** Every call to WeChat a client causes is counted per IP first (the app's WeChat quota is shared). */
  async function budget(ip: string): Promise<void> {
    try {
      await exchanges.consume(ipKey(ip));
    } catch (e) {
      if (e instanceof Error) throw e;
      rateLimited((e as { msBeforeNext: number }).msBeforeNext);
    }
  }

  /** WeChat failing us (502/504) is logged with what it said; a client's bad code is not. */
  function noted(e: unknown, app: ResolvedApp): unknown {
    if (isTesseraError(e) && e.status >= 500)
      log.warn({ app_id: app.appId, error: e.code, why: e.message }, 'WeChat call failed');
    return e;
  }

  async function session(ts: TenantServices, app: ResolvedApp, code: string, meta: RequestMeta) {
    try {
      return await client.code2session(app, code);
    } catch (e) {
      if (isTesseraError(e))
        ts.audit.record({
          event: 'login.failure',
          outcome: 'failure',
          ip: meta.ip,
          userAgent: meta.userAgent,
          deviceId: meta.deviceId ?? null,
          reason: e.code,
          data: { method: 'wechat', app_id: app.appId },
        });
      throw noted(e, app);
    }
  }

  async function phoneOf(ts: TenantServices, app: ResolvedApp, code: string): Promise<string> {
    try {
      const raw = await d.tokens.withToken(ts.tenant, app, (token) =>
        client.phoneNumber(app, token, code),
      );
      const p = checkPhone(raw);
      if (!p.ok) fail('WECHAT_UNAVAILABLE', { logMessage: 'WeChat phone number not a number' });
      return p.display;
    } catch (e) {
      throw noted(e, app);
    }
  }

  async function storePhone(ts: TenantServices, userId: number, phone: string, actor: AuditActor) {
    await inUnit(
      core.sql.scope(ts.tenant),
      async (u) => {
        await ts.users.store.update(
          userId,
          { phone_number: phone, updated_at: core.clock.now() },
          u.tx,
        );
        await ts.audit.write(u, {
          event: 'user.phone',
          outcome: 'success',
          userId,
          ...actor,
          data: { source: 'wechat' },
        });
      },
      undefined,
      (e) => core.report(e, 'wechat phone'),
    );
  }

  return {
    /**
     * `wx.login()`'s code → the login's tokens. With `phone_code`, the
     * number is then stored on the user; a failure there does not undo the
     * login: the answer names it (`phone_error`) and the phone route retries.
     */
    async login(
      ts: TenantServices,
      body: WechatLoginBody,
      meta: RequestMeta,
    ): Promise<{ result: LoginResult; phoneError?: string }> {
      await budget(meta.ip);
      const app = await d.apps.resolve(ts.tenant, body.app_id);
      const s = await session(ts, app, body.code, meta);
      const result = await ts.auth.loginWithIdentity(
        { provider: providerOf(app.appId), subject: s.openid, unionId: s.unionid },
        meta,
        {
          method: 'wechat',
          create: core.config.wechatCreateUsers,
          user_type: body.user_type,
          captcha: body.captcha,
          mfa_code: body.mfa_code,
        },
      );
      if (!body.phone_code) return { result };
      try {
        await budget(meta.ip);
        const phone = await phoneOf(ts, app, body.phone_code);
        await storePhone(ts, result.user.id, phone, { ip: meta.ip, userAgent: meta.userAgent });
        result.user = { ...result.user, phone_number: phone };
        return { result };
      } catch (e) {
        if (!isTesseraError(e)) core.report(e, 'wechat phone');
        return { result, phoneError: isTesseraError(e) ? e.code : 'UNAVAILABLE' };
      }
    },

    /** Binds the WeChat of `code` to the user (IDENTITY_IN_USE when it is someone else's). */
    async bind(
      ts: TenantServices,
      userId: number,
      body: { code: string; app_id?: string | undefined },
      actor: AuditActor & { ip: string; userAgent: string | null },
    ): Promise<IdentityRow> {
      await budget(actor.ip);
      const app = await d.apps.resolve(ts.tenant, body.app_id);
      const s = await session(ts, app, body.code, actor);
      return ts.identities.link(
        userId,
        { provider: providerOf(app.appId), subject: s.openid, unionId: s.unionid },
        actor,
      );
    },

    /**
     * Unbinds the user's WeChat of `appId`, or their only one; refused with
     * LAST_LOGIN_METHOD when nothing else would let them log in.
     */
    async unbind(
      ts: TenantServices,
      userId: number,
      appId: string | undefined,
      actor: AuditActor,
    ): Promise<void> {
      let provider = appId === undefined ? undefined : providerOf(appId);
      if (!provider) {
        const mine = (await ts.identities.list(userId)).filter((r) =>
          r.provider.startsWith(PROVIDER_PREFIX),
        );
        if (mine.length === 0) fail('NOT_FOUND');
        if (mine.length > 1)
          fail('VALIDATION_FAILED', {
            detail: 'app_id is required: WeChat is bound through several mini-programs',
          });
        provider = mine[0]!.provider;
      }
      await ts.identities.unlink(userId, provider, actor);
    },

    /** A `getPhoneNumber` code → the number, stored on the user. */
    async phone(
      ts: TenantServices,
      userId: number,
      body: { code: string; app_id?: string | undefined },
      actor: AuditActor & { ip: string },
    ): Promise<string> {
      await budget(actor.ip);
      const app = await d.apps.resolve(ts.tenant, body.app_id);
      const phone = await phoneOf(ts, app, body.code);
      await storePhone(ts, userId, phone, actor);
      return phone;
    },
  };
}

export type WechatService = ReturnType<typeof createWechatService>;
