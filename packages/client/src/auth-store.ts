import type { LoginResult, Me, TesseraClient } from './client.js';
import { isTesseraError, type TesseraError } from './errors.js';

/** What `useAuth()` shows: the seed hook's three states, plus the pending second factor. */
export interface AuthState {
  isAuthenticated: boolean;
  /** True until the first check is done, and while a login or logout runs. */
  isLoading: boolean;
  user: Me | null;
  /** Set when the last login asked for a second factor: answer with `verifyMfa(code)`. */
  mfa: { ticket: string; methods: string[] } | null;
  /** The last login, second-factor or logout failure. */
  error: TesseraError | null;
}

/**
 * The state behind `useAuth()`, framework-free: React reads it with
 * `useSyncExternalStore`, anything else with `subscribe` and `getSnapshot`.
 * It follows the client's tokens, so a logout in another tab or a
 * `session_ended` from the presence socket signs this one out too.
 */
export interface AuthStore {
  subscribe(fn: () => void): () => void;
  getSnapshot(): AuthState;
  /** The seed's checkAuth: a valid (or refreshed) token and `/me`, or signed out. Once unless forced. */
  check(force?: boolean): Promise<void>;
  login(username: string, password: string): Promise<LoginResult>;
  verifyMfa(code: string): Promise<void>;
  logout(): Promise<void>;
}

export function createAuthStore(client: TesseraClient): AuthStore {
  let state: AuthState = {
    isAuthenticated: false,
    isLoading: true,
    user: null,
    mfa: null,
    error: null,
  };
  const subs = new Set<() => void>();
  let checking: Promise<void> | undefined;
  let checked = false;
  const set = (patch: Partial<AuthState>) => {
    state = { ...state, ...patch };
    for (const s of [...subs]) s();
  };
  const errorOf = (e: unknown) => (isTesseraError(e) ? e : null);

  async function loadUser(): Promise<void> {
    try {
      const user = await client.me();
      set({ user, isAuthenticated: true, isLoading: false });
    } catch {
      set({ user: null, isAuthenticated: false, isLoading: false });
    }
  }

  function check(force = false): Promise<void> {
    if (checking) return checking;
    if (checked && !force) return Promise.resolve();
    checking = (async () => {
      // me() refreshes an expired access token first (the seed's refreshToken branch).
      if (client.getTokens()) await loadUser();
      else set({ user: null, isAuthenticated: false, isLoading: false });
      checked = true;
    })().finally(() => {
      checking = undefined;
    });
    return checking;
  }

  client.onTokens((tokens, why) => {
    if (!tokens) set({ user: null, isAuthenticated: false, mfa: null });
    else if (why === 'storage' && !state.isAuthenticated) void check(true);
  });

  return {
    subscribe(fn) {
      subs.add(fn);
      return () => void subs.delete(fn);
    },
    getSnapshot: () => state,
    check,
    async login(username, password) {
      set({ isLoading: true, error: null });
      try {
        const r = await client.login({ username, password });
        if (r.mfaRequired) {
          set({ mfa: { ticket: r.ticket, methods: r.methods }, isLoading: false });
          return r;
        }
        set({ mfa: null });
        await loadUser();
        return r;
      } catch (e) {
        set({ isLoading: false, error: errorOf(e) });
        throw e;
      }
    },
    async verifyMfa(code) {
      set({ isLoading: true, error: null });
      try {
        await client.verifyMfa(code, state.mfa?.ticket);
        set({ mfa: null });
        await loadUser();
      } catch (e) {
        set({ isLoading: false, error: errorOf(e) });
        throw e;
      }
    },
    async logout() {
      set({ isLoading: true, error: null });
      try {
        await client.logout();
      } finally {
        set({ user: null, isAuthenticated: false, isLoading: false, mfa: null });
      }
    },
  };
}
