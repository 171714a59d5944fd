import type { MailTemplateName } from '../mail/types.js';
import type { TestServer } from '../test-support/server.js';

/** Waits until the background work (reset and verification mails) is done. */
export function settle(s: TestServer): Promise<void> {
  return s.rt.features.credentials!.idle();
}

/** The subjects of each template, per language (src/mail/templates/). */
const SUBJECTS: Record<MailTemplateName, readonly string[]> = {
  'password-reset': ['Reset your password', '重置您的密码'],
  'email-verification': ['Confirm your e-mail address', '验证您的邮箱地址'],
  'password-changed': ['Your password was changed', '您的密码已更改'],
};

const adminTokens = new WeakMap<TestServer, Map<string, string>>();

export interface SeenMail {
  subject: string;
  text: string;
  /** The link with the token, when the mail has one. */
  link: URL | undefined;
}

/**
 * Mails of one template to one address, oldest first, as the real mail
 * feature keeps them: its outbox (`GET /api/admin/outbox?to=`, no SMTP configured),
 * read with an administrator's token of the tenant (`tenant` header, and its admin's login).
 */
export async function mailsTo(
  s: TestServer,
  to: string,
  template: MailTemplateName,
  o: { tenant?: string; admin?: [string, string] } = {},
): Promise<SeenMail[]> {
  await settle(s);
  const headers: Record<string, string> = o.tenant ? { 'x-tessera-tenant': o.tenant } : {};
  // One login per server and tenant, renewed when refused (tests move the clock past token
  // lifetimes; a login per read would end older admin sessions at the session cap).
  const key = o.tenant ?? '';
  let cache = adminTokens.get(s);
  if (!cache) adminTokens.set(s, (cache = new Map()));
  const fresh = async () => {
    if (!o.admin) return s.adminToken();
    const r = await s.call('POST', '/api/public/auth/login', {
      body: { username: o.admin[0], password: o.admin[1] },
      headers,
    });
    return r.data.data.access_token as string;
  };
  const url = `/api/admin/outbox?to=${encodeURIComponent(to)}&limit=200`;
  let token = cache.get(key) ?? (await fresh());
  let r = await s.call('GET', url, { token, headers });
  if (r.statusCode === 401) {
    token = await fresh();
    r = await s.call('GET', url, { token, headers });
  }
  cache.set(key, token);
  if (r.statusCode !== 200) throw new Error(`outbox: ${r.statusCode} ${r.body}`);
  const items = r.data.data.items as { subject: string; text: string }[];
  return items
    .filter((m) => SUBJECTS[template].includes(m.subject))
    .reverse()
    .map((m) => {
      const href = /https?:\/\/\S+[?&]token=[\w-]+\S*/.exec(m.text)?.[0];
      return { subject: m.subject, text: m.text, link: href ? new URL(href) : undefined };
    });
}

/** The token of the newest mail of `template` to `to`. */
export async function lastToken(
  s: TestServer,
  to: string,
  template: MailTemplateName,
  o: { tenant?: string; admin?: [string, string] } = {},
): Promise<string> {
  const link = (await mailsTo(s, to, template, o)).at(-1)?.link;
  if (!link) throw new Error(`no ${template} mail to ${to}`);
  return link.searchParams.get('token')!;
}
