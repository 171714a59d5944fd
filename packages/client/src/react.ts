import { useEffect, useSyncExternalStore } from 'react';
import { createAuthStore, type AuthState, type AuthStore } from './auth-store.js';
import type { LoginResult, TesseraClient } from './client.js';

export type { AuthState, AuthStore } from './auth-store.js';
export { createAuthStore } from './auth-store.js';

export interface UseAuth extends AuthState {
  /** Encrypted login; resolves `{ mfaRequired: true }` (and sets `mfa`) when a second factor is needed. */
  login(username: string, password: string): Promise<LoginResult>;
  /** Answers the second factor of the pending login. */
  verifyMfa(code: string): Promise<void>;
  logout(): Promise<void>;
  client: TesseraClient;
}

/** One store per client, shared by every component that calls useAuth with it. */
const stores = new WeakMap<TesseraClient, AuthStore>();

/** The store `useAuth(client)` reads: to drive it from outside components (a router guard, tests). */
export function authStore(client: TesseraClient): AuthStore {
  let s = stores.get(client);
  if (!s) stores.set(client, (s = createAuthStore(client)));
  return s;
}

/**
 * The seed's `useAuth`: `{ isAuthenticated, isLoading, user, login, logout }`,
 * plus the second factor (`mfa`, `verifyMfa`) and the last `error`. Checks the
 * stored session once on mount (refreshing an expired access token), and
 * follows logouts and session ends from other tabs and the presence socket.
 *
 * @example
 * const auth = createClient({ baseUrl: 'https://auth.example.com' });
 * function Account() {
 *   const { isLoading, isAuthenticated, user, login, logout } = useAuth(auth);
 *   ...
 * }
 */
export function useAuth(client: TesseraClient): UseAuth {
  const store = authStore(client);
  const state = useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
  useEffect(() => {
    void store.check();
  }, [store]);
  return {
    ...state,
    login: store.login,
    verifyMfa: store.verifyMfa,
    logout: store.logout,
    client,
  };
}
