import type { OnlineUser } from '../types.js';

/**
 * Where a node publishes which users it holds online, so any node can list
 * the whole cluster and tell a cluster-wide transition from a local one.
 * Calls for one node are made one at a time (the service serialises them).
 */
export interface PresenceStore {
  /** Marks the user online on this node. True when no other live node had it: a cluster-wide "online". */
  join(u: OnlineUser): Promise<boolean>;
  /** Removes the user from this node. True when no other live node has it: a cluster-wide "offline". */
  leave(userId: string): Promise<boolean>;
  /** Everyone online on every live node, each user once. */
  list(): Promise<OnlineUser[]>;
  /**
   * Node liveness: refreshes this node's TTLs, rewrites its entries if they
   * were lost (Redis restart, this node presumed dead), and reaps nodes whose
   * heartbeat expired. Returns users that went offline cluster-wide by the reaping.
   */
  keepAlive(local: readonly OnlineUser[]): Promise<OnlineUser[]>;
  /** Drops this node's entries (clean shutdown); returns users now offline cluster-wide. */
  close(): Promise<OnlineUser[]>;
}
