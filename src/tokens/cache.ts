/** Characters of the signature that key an entry: 132 random-looking bits. */
const TAG = 22;

/**
 * A bounded map of verified tokens. Entries are keyed by the tail of the
 * signature (hashing 22 characters, not the whole ~800-character token) and
 * hold the whole token, which a hit must equal: a token sharing a tail with a
 * cached one is a miss, verified in full, and cannot displace the entry
 * without a valid signature of its own. Entries leave when their token
 * expires or, when full, oldest first (insertion order), so memory stays
 * bounded (about 1 KiB per entry for a typical RS256 token).
 */
export class TokenCache<V> {
  private map = new Map<string, { token: string; v: V; exp: number }>();
  private seen = new Set<string>();
  constructor(private readonly max: number) {}

  get(token: string, now: number): V | undefined {
    const tag = token.slice(-TAG);
    const e = this.map.get(tag);
    if (!e || e.token !== token) return undefined;
    if (e.exp <= now) {
      this.map.delete(tag);
      return undefined;
    }
    return e.v;
  }

  set(token: string, v: V, exp: number): void {
    if (this.max <= 0) return;
    const tag = token.slice(-TAG);
    if (this.map.size >= this.max && !this.map.has(tag)) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
    this.map.set(tag, { token, v, exp });
  }

  clear(): void {
    this.map.clear();
    this.seen.clear();
  }

  /**
   * Admission: a token enters the cache on its second sighting. A token used
   * once (a burst of fresh logins, or a flood of never-seen tokens) is not
   * worth its ~1 KiB and the GC work of keeping it; one in steady use is
   * cached from its second request on. Remembers a short tail of the
   * signature (random-looking bytes), bounded, forgotten in bulk.
   */
  seenBefore(signature: string): boolean {
    if (this.max <= 0) return false;
    const tag = signature.slice(-12);
    if (this.seen.has(tag)) return true;
    if (this.seen.size >= this.max * 2) this.seen.clear();
    this.seen.add(tag);
    return false;
  }

  get size(): number {
    return this.map.size;
  }
}
