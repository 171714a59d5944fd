/**
 * A bounded map of verified tokens. Entries leave when their token expires
 * or, when full, oldest first (insertion order), so memory stays bounded
 * (about 1 KiB per entry for a typical RS256 token).
 */
export class TokenCache<V> {
  private map = new Map<string, { v: V; exp: number }>();
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
  }

  get size(): number {
    return this.map.size;
  }
}
