import type { Kysely } from 'kysely';
import type { Audit } from '../audit/audit.js';
import type { RequestMeta } from '../contract/meta.js';
import type { Database } from '../db/types.js';
import { inUnit, type Unit } from '../db/unit.js';
import { isTesseraError } from '../lib/errors.js';
import type { Clock } from '../lib/clock.js';
import type { SessionService } from '../sessions/service.js';
import type { SettingsService } from '../settings/service.js';
import type { AccessClaims } from '../tokens/claims.js';
import type { AccessIssuer } from '../tokens/issue.js';
import { createPairIssuer, type TokenPair } from '../tokens/pair.js';
import type { RefreshStore } from '../tokens/refresh-store.js';
import { createRefreshRotation } from '../tokens/rotation.js';
import type { IdentityLoginOptions, LoginFlowService, LoginResumption } from '../login/flow.js';
import type { ExternalProfile } from '../identities/types.js';
import type { LoginInput, LoginResult } from '../login/pipeline.js';
import type { UserRow } from '../users/store.js';
import type { UserService } from '../users/service.js';
import type { CaptchaCheck } from '../login/guard.js';

export type { LoginInput, LoginResult } from '../login/pipeline.js';
export type { TokenPair } from '../tokens/pair.js';

export interface AuthDeps {
  db: Kysely<Database>;
  users: UserService;
  sessions: SessionService;
  refresh: RefreshStore;
  issuer: AccessIssuer;
  settings: SettingsService;
  audit: Audit;
  clock: Clock;
  /** Human verification for register (a feature provides it; none: register asks for none). */
  captcha: CaptchaCheck | undefined;
  loginFlow: LoginFlowService;
  refreshGraceSec: number;
  /** An after-commit effect (publish) failed: reported, never thrown. */
  onEffectError?: (e: unknown) => void;
}

/**
 * The token lifecycle of seed 001: login (the pipeline in src/login/),
 * register, refresh (rotation in src/tokens/rotation.ts) and logout.
 */
export function createAuthService(d: AuthDeps) {
  const { clock } = d;
  const unit = <T>(fn: (u: Unit) => Promise<T>) => inUnit(d.db, fn, undefined, d.onEffectError);
  const issuePair = createPairIssuer(d.issuer, clock);
  const rotation = createRefreshRotation({ ...d, issuePair });

  return {
    /** The login pipeline (src/login/): every login route goes through it. */
    login: (input: LoginInput, meta: RequestMeta): Promise<LoginResult> =>
      d.loginFlow.login(input, meta),

    /**
     * A login by an external identity its provider proved (WeChat, OAuth):
     * the same pipeline, the identity as its credential (src/login/flow.ts).
     */
    loginWithIdentity: (
      p: ExternalProfile,
      meta: RequestMeta,
      opts: IdentityLoginOptions,
    ): Promise<LoginResult> => d.loginFlow.loginWithIdentity(p, meta, opts),

    /** Continues a login interrupted by a challenge (src/login/flow.ts `resume`). */
    resume: (r: LoginResumption, meta: RequestMeta): Promise<LoginResult> =>
      d.loginFlow.resume(r, meta),

    async register(
      input: {
        username: string;
        email: string;
        password: string;
        phoneNumber?: string | undefined;
        captcha?: string | undefined;
        /** Language of the account's mails: the body's `locale`, else the request's Accept-Language. */
        locale?: string | undefined;
      },
      meta: RequestMeta,
    ): Promise<UserRow> {
      if (d.settings.get().registerCaptcha && d.captcha)
        await d.captcha.require(input.captcha, 'register', meta);
      try {
        return await d.users.create(
          {
            username: input.username,
            email: input.email,
            password: input.password,
            phoneNumber: input.phoneNumber ?? null,
            locale: input.locale ?? null,
          },
          (u, user) =>
            d.audit.write(u, {
              event: 'register',
              outcome: 'success',
              userId: user.id,
              username: user.username,
              ip: meta.ip,
              userAgent: meta.userAgent,
            }),
        );
      } catch (e) {
        if (isTesseraError(e))
          d.audit.record({
            event: 'register',
            outcome: 'failure',
            username: input.username.slice(0, 64),
            ip: meta.ip,
            userAgent: meta.userAgent,
            reason: e.code,
          });
        throw e;
      }
    },

    /** Rotates a refresh token: src/tokens/rotation.ts. */
    refresh: (token: string, meta: RequestMeta): Promise<TokenPair> => rotation.rotate(token, meta),

    async logout(claims: AccessClaims, meta: RequestMeta): Promise<void> {
      const facts = { ip: meta.ip, userAgent: meta.userAgent, deviceId: meta.deviceId ?? null };
      // Ending, revoking and both audit rows commit together; a repeated
      // logout of an ended session makes sure of its revocation again.
      await unit(async (u) => {
        await d.sessions.end(claims.sid, 'LOGGED_OUT', facts, u);
        await d.audit.write(u, {
          ...facts,
          event: 'logout',
          outcome: 'success',
          userId: Number(claims.sub),
          sessionId: claims.sid,
        });
      });
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
