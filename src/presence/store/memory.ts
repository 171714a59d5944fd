import type { OnlineUser } from '../types.js';
import type { PresenceStore } from './store.js';

/** Embedded default (single node): this process is the whole cluster. */
export function createMemoryPresenceStore(): PresenceStore {
  const users = new Map<string, OnlineUser>();
  return {
    async join(u) {
      const had = users.has(u.user_id);
      users.set(u.user_id, u);
      return !had;
    },
    async leave(id) {
      return users.delete(id);
    },
    async list() {
      return [...users.values()];
    },
    async keepAlive() {
      return [];
    },
    async close() {
      const all = [...users.values()];
      users.clear();
      return all;
    },
  };
}
