/**
 * A bounded map of verified tokens. Entries leave when their token expires
 * or, when full, oldest first (insertion order), so memory stays bounded
 * (about 1 KiB per entry for a typical RS256 token).
 */
export class TokenCache<V> {
  private map = new Map<string, { v: V; exp: number }>();
  private seen = new Set<string>();
  constructor(private readonly max: number) {}

  get(key: string, now: number): V | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    if (e.exp <= now) {
      this.map.delete(key);
      return undefined;
    }
    return e.v;
  }

  set(key: string, v: V, exp: number): void {
    if (this.max <= 0) return;
    if (this.map.size >= this.max) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
    this.map.set(key, { v, exp });
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
