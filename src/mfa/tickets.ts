import type { TenantId } from '../db/scope.js';
import { randomId, sha256 } from '../lib/crypto.js';
import type { Clock } from '../lib/clock.js';
import { fail } from '../lib/errors.js';
import type { MfaStore, TicketRow } from './store.js';

/**
 * Tickets of interrupted logins (decision 0017): 256 random bits the client
 * holds, their sha-256 in SQL with what the attempt had established. Single
 * use and the failure count are the store's conditional updates.
 */
export function createTickets(d: {
  clock: Clock;
  ttlSec: () => number;
  storeOf: (t: TenantId) => MfaStore;
}) {
  return {
    /** A new ticket for `user`'s interrupted login; returns the value the client holds. */
    async issueTicket(
      tenant: TenantId,
      row: Omit<TicketRow, 'id_hash' | 'failures' | 'created_at' | 'expires_at' | 'used_at'>,
    ): Promise<{ ticket: string; expiresIn: number }> {
      const ticket = randomId(32);
      const now = d.clock.now();
      const ttl = d.ttlSec();
      await d.storeOf(tenant).insertTicket({
        ...row,
        id_hash: sha256(ticket),
        failures: 0,
        created_at: now,
        expires_at: now + ttl * 1000,
        used_at: null,
      });
      return { ticket, expiresIn: ttl };
    },

    /** The live ticket `raw` names in this tenant, of this kind; MFA_TICKET_INVALID otherwise. */
    async openTicket(tenant: TenantId, raw: string, kind: TicketRow['kind']): Promise<TicketRow> {
      const t = await d.storeOf(tenant).liveTicket(sha256(raw), d.clock.now());
      if (!t || t.kind !== kind) fail('MFA_TICKET_INVALID');
      return t;
    },
  };
}
