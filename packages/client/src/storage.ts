/** What tokens are kept in: `localStorage`, `sessionStorage`, or anything with the same three methods. */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** The tokens of one signed-in session, as kept in storage. */
export interface Tokens {
  access_token: string;
  refresh_token: string;
  /** When the access token expires, epoch ms on this client's clock. */
  expires_at: number;
  /** When the refresh token expires, epoch ms on this client's clock. */
  refresh_expires_at: number;
}

/** A Map-backed storage: the default where there is no `localStorage` (Node). */
export function memoryStorage(): StorageLike {
  const m = new Map<string, string>();
  return {
    getItem: (k) => m.get(k) ?? null,
    setItem: (k, v) => void m.set(k, String(v)),
    removeItem: (k) => void m.delete(k),
  };
}

/**
 * The token pair under one storage key, written as one JSON value so that a
 * reader never sees a new access token beside an old refresh token (another
 * tab may write at any moment).
 */
export interface TokenStore {
  read(): Tokens | null;
  write(t: Tokens): void;
  clear(): void;
  readonly key: string;
}

export function tokenStore(storage: StorageLike, key: string): TokenStore {
  return {
    key,
    read() {
      const raw = storage.getItem(key);
      if (!raw) return null;
      try {
        const t = JSON.parse(raw) as Partial<Tokens>;
        if (typeof t.access_token !== 'string' || typeof t.refresh_token !== 'string') return null;
        return {
          access_token: t.access_token,
          refresh_token: t.refresh_token,
          expires_at: Number(t.expires_at) || 0,
          refresh_expires_at: Number(t.refresh_expires_at) || 0,
        };
      } catch {
        return null;
      }
    },
    write: (t) => storage.setItem(key, JSON.stringify(t)),
    clear: () => storage.removeItem(key),
  };
}
