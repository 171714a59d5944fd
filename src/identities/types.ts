/**
 * External identities (issue 14): the shared interface of WeChat and the
 * OAuth / OpenID providers. A provider proves who someone is (a code
 * exchanged with WeChat, an ID token); the identity service turns that proof
 * into a Tessera user, and the login pipeline does the rest.
 */

/** What a provider proved about someone, as the identity service takes it. */
export interface ExternalProfile {
  /** Provider key as stored: 'wechat-mp:<appid>', 'wechat-web:<appid>', 'oauth:<name>'. */
  provider: string;
  subject: string;
  /** WeChat unionid: the same person across the mini-programs and web apps of one company. */
  unionId?: string | null | undefined;
  email?: string | null | undefined;
  emailVerified?: boolean | undefined;
  displayName?: string | null | undefined;
  phoneNumber?: string | null | undefined;
  /** Suggested username for a new user (sanitised, made unique by the service). */
  preferredUsername?: string | null | undefined;
}

/** An identity as stored (`user_identities`, migration 0010). */
export interface IdentityRow {
  id: string;
  user_id: number;
  provider: string;
  subject: string;
  union_id: string | null;
  email: string | null;
  email_verified: boolean;
  display_name: string | null;
  created_at: number;
  last_login_at: number | null;
}

/** Who links or unlinks (the user, or an administrator) and from where: the audit row's facts. */
export interface AuditActor {
  actorId?: number | null;
  ip?: string | null;
  userAgent?: string | null;
  deviceId?: string | null;
}
