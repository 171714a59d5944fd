import type { Audit, RecordedEntry } from '../audit/audit.js';
import { DEFAULT_TENANT, type TenantId } from '../db/scope.js';
import type { TenantCore } from '../feature/contract.js';
import type { Background } from './background.js';
import type { Credentials } from './service.js';

/** Changes after which the user's address needs proving: a new account, or a new address. */
function needsMail(e: RecordedEntry): e is RecordedEntry & { userId: number } {
  if (e.outcome !== 'success' || typeof e.userId !== 'number') return false;
  if (e.event === 'register' || e.event === 'admin.user.create') return true;
  const fields = e.data?.fields;
  return e.event === 'admin.user.update' && Array.isArray(fields) && fields.includes('email');
}

/**
 * Sends the verification mail after a register, an administrator's create
 * or a change of e-mail, read off the audit stream after the change has
 * committed (the row of a new address is already unverified: src/users/account.ts).
 * Off the request path; a mail lost to a crash in between is asked for again
 * with the resend endpoint, or by a login refused with EMAIL_NOT_VERIFIED.
 */
export function watchAccountChanges(d: {
  audit: Audit;
  tenantCore: (t: TenantId) => Promise<TenantCore>;
  credentials: Credentials;
  background: Background;
}): () => void {
  if (!d.audit.observe) return () => {};
  return d.audit.observe((e) => {
    if (!needsMail(e)) return;
    d.background.run('verification mail', async () => {
      const tc = await d.tenantCore(e.tenant ?? DEFAULT_TENANT);
      const user = await tc.users.byId(e.userId);
      if (user)
        await d.credentials
          .forTenant(tc)
          .sendVerification(user, { ip: e.ip ?? '', userAgent: e.userAgent ?? null });
    });
  });
}
