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

/** The outbox of a tenant: mails kept because no SMTP server is configured, newest first. */
export function createOutbox(sql: TenantSql, sealer: Sealer) {
  return {
    async list(tenant: TenantId, o: { to?: string | undefined; limit: number }): Promise<OutboxItem[]> {
      const rows = await listOutbox(sql.scope(tenant), {
        toKey: o.to?.toLowerCase(),
        limit: o.limit,
      });
      return rows.map((r) => {
        const body = r.body
          ? (JSON.parse(sealer.open(r.body, bodyAad(r.id))) as { text: string; html: string })
          : { text: '', html: '' };
        return { id: r.id, to: r.to_addr, subject: r.subject, ...body, created_at: r.created_at };
      });
    },
  };
}

export type Outbox = ReturnType<typeof createOutbox>;
