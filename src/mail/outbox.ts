import type { TenantId, TenantSql } from '../db/scope.js';
import type { Sealer } from '../lib/seal.js';
import { bodyAad } from './service.js';
import { listOutbox } from './store.js';

export interface OutboxItem {
  id: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  created_at: number;
}

/** A body sealed under a key this node lacks shows empty rather than failing the whole page. */
function openBody(sealer: Sealer, r: { id: string; body: string | null }) {
  try {
    if (r.body)
      return JSON.parse(sealer.open(r.body, bodyAad(r.id))) as { text: string; html: string };
  } catch {
    // Reported nowhere on purpose: the page still answers; `tessera keys reseal` tells the operator.
  }
  return { text: '', html: '' };
}

/** The outbox of a tenant: mails kept because no SMTP server is configured, newest first. */
export function createOutbox(sql: TenantSql, sealer: Sealer) {
  return {
    async list(
      tenant: TenantId,
      o: { to?: string | undefined; limit: number },
    ): Promise<OutboxItem[]> {
      const rows = await listOutbox(sql.scope(tenant), {
        toKey: o.to?.toLowerCase(),
        limit: o.limit,
      });
      return rows.map((r) => ({
        id: r.id,
        to: r.to_addr,
        subject: r.subject,
        ...openBody(sealer, r),
        created_at: r.created_at,
      }));
    },
  };
}

export type Outbox = ReturnType<typeof createOutbox>;
