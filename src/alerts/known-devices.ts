import { DEFAULT_TENANT, type TenantId } from '../db/scope.js';
import { createHmac } from 'node:crypto';
import { isIPv4 } from 'node:net';
import type { Kysely } from 'kysely';
import type { Database } from '../db/types.js';
import { ipKey } from '../rate-limit/ip-key.js';

export type Sighting = 'first' | 'known' | 'new';

/**
 * The network an IP belongs to, for "never seen" checks: IPv4 /24 and IPv6
 * /64, so a DHCP renewal or a mobile hop inside the same network is not news.
 */
export function networkOf(ip: string): string {
  const k = ipKey(ip);
  return isIPv4(k) ? `${k.split('.').slice(0, 3).join('.')}.0/24` : k;
}

/**
 * Where each user has logged in from (table known_devices). Values are
 * stored as HMACs under a server key, so the table holds no IPs or device ids.
 */
export function createKnownDevices(
  /** A tenant's known_devices rows (core.sql.scope). */
  scope: (tenant: TenantId) => Kysely<Database>,
  hmacKey: string,
) {
  const hash = (kind: string, value: string) =>
    createHmac('sha256', hmacKey).update(`${kind}\0${value}`).digest('base64url');

  return {
    /** Records a sighting; 'first' when the user had none of this kind yet (no alert for a first login). */
    async sight(
      userId: number,
      kind: 'ip' | 'device',
      value: string,
      now: number,
      tenant: TenantId = DEFAULT_TENANT,
    ): Promise<Sighting> {
      const db = scope(tenant);
      const h = hash(kind, value);
      const mine = db
        .selectFrom('known_devices')
        .select('value_hash')
        .where('user_id', '=', userId)
        .where('kind', '=', kind);
      const known = await mine.where('value_hash', '=', h).executeTakeFirst();
      const any = known ?? (await mine.limit(1).executeTakeFirst());
      // An upsert either way: one statement, and two first sightings at once cannot collide.
      await db
        .insertInto('known_devices')
        .values({ user_id: userId, kind, value_hash: h, first_seen: now, last_seen: now })
        .onConflict((oc) =>
          oc.columns(['user_id', 'kind', 'value_hash']).doUpdateSet({ last_seen: now }),
        )
        .execute();
      return known ? 'known' : any ? 'new' : 'first';
    },
  };
}
