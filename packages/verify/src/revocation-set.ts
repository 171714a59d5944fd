/** One revocation as the feed and the snapshot carry it. */
export interface RevocationEntry {
  kind: 'sid' | 'jti' | 'user';
  value: string;
  /** Epoch ms after which every token it concerns has expired anyway: the entry can go. */
  expiresAt: number;
  /** `user` only: tokens issued (iat, ms) before this are refused. */
  notBefore?: number;
}

/** Why a token is refused by the set, or null. */
export type Revoked = 'SESSION_ENDED' | 'TOKEN_REVOKED' | null;

/**
 * Revoked session ids, token ids and per-user cut-offs, each kept until the tokens it
 * concerns would have expired (the `expiresAt` Tessera sends), and at most `maxEntries`
 * in all: past that, the oldest sessions or tokens go first (Map order is arrival order,
 * close to expiry order since every entry lasts about one token lifetime).
 * Merging is monotonic, as in Tessera's own list: the later expiry and cut-off win, so a
 * snapshot and the stream can deliver the same entry in any order.
 */
export function createRevocationSet(now: () => number, maxEntries: number) {
  const sids = new Map<string, number>();
  const jtis = new Map<string, number>();
  const users = new Map<string, { notBefore: number; exp: number }>();
  const size = () => sids.size + jtis.size + users.size;

  function sweep(): void {
    const t = now();
    for (const [k, exp] of sids) if (exp <= t) sids.delete(k);
    for (const [k, exp] of jtis) if (exp <= t) jtis.delete(k);
    for (const [k, v] of users) if (v.exp <= t) users.delete(k);
  }

  function evict(): void {
    sweep();
    while (size() > maxEntries) {
      const m = sids.size >= jtis.size ? sids : jtis;
      const first = m.keys().next();
      if (first.done) {
        const u = users.keys().next();
        if (u.done) return;
        users.delete(u.value);
      } else m.delete(first.value);
    }
  }

  return {
    add(e: RevocationEntry): void {
      if (typeof e.value !== 'string' || !Number.isFinite(e.expiresAt) || e.expiresAt <= now())
        return;
      if (e.kind === 'sid' || e.kind === 'jti') {
        const m = e.kind === 'sid' ? sids : jtis;
        const prev = m.get(e.value);
        if (prev === undefined || prev < e.expiresAt) m.set(e.value, e.expiresAt);
      } else if (e.kind === 'user') {
        const prev = users.get(e.value);
        users.set(e.value, {
          notBefore: Math.max(e.notBefore ?? 0, prev?.notBefore ?? 0),
          exp: Math.max(e.expiresAt, prev?.exp ?? 0),
        });
      } else return;
      if (size() > maxEntries) evict();
    },
    /** `iat` in seconds, as in the token. */
    check(sid: unknown, jti: unknown, sub: unknown, iat: unknown): Revoked {
      if (sids.size && typeof sid === 'string' && sids.has(sid)) return 'SESSION_ENDED';
      if (jtis.size && typeof jti === 'string' && jtis.has(jti)) return 'TOKEN_REVOKED';
      if (users.size && typeof sub === 'string') {
        const u = users.get(sub);
        if (u && (typeof iat !== 'number' || iat * 1000 < u.notBefore)) return 'TOKEN_REVOKED';
      }
      return null;
    },
    sweep,
    size,
  };
}

export type RevocationSet = ReturnType<typeof createRevocationSet>;
