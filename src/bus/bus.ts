/**
 * Cluster-wide broadcast of small events (revocations, settings changes,
 * session ends, presence). In the embedded default it stays in process; with
 * Redis it is Redis pub/sub, so every node receives every event, itself included.
 */
export interface Bus {
  publish(channel: string, message: unknown): Promise<void>;
  /** Returns an unsubscribe function. */
  subscribe(channel: string, handler: (message: unknown) => void): () => void;
  /**
   * Called after the connection to the broker comes back: messages may have
   * been missed, so listeners rebuild their state from the durable store.
   */
  onResync(handler: () => void): () => void;
  /**
   * Resolves once every subscription made so far is active at the broker.
   * Await it before loading state from the durable store, or an event
   * published between the load and the subscription is lost.
   */
  ready?(): Promise<void>;
  close(): Promise<void>;
}
