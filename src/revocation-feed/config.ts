import { int, type ConfigOf, type Field } from '../config/schema.js';

/** The revocation feed (decision 0025): the fields this feature adds to the config table. */
export const REVOCATION_FEED_FIELDS = {
  revocationFeedWindow: {
    env: 'TESSERA_REVOCATION_FEED_WINDOW',
    kind: int(100, 1_000_000),
    default: 10_000,
    example: '10000',
    doc: 'Revocations each node keeps for resuming feed clients; a client further behind is told to reset and read the snapshot.',
  },
  revocationFeedMaxStreams: {
    env: 'TESSERA_REVOCATION_FEED_MAX_STREAMS',
    kind: int(1, 100_000),
    default: 256,
    example: '256',
    doc: 'Open revocation streams per node; one more is refused with 503 REVOCATION_FEED_FULL and Retry-After.',
  },
  revocationFeedHeartbeatMs: {
    env: 'TESSERA_REVOCATION_FEED_HEARTBEAT_MS',
    kind: int(1000, 120_000),
    default: 15_000,
    example: '15000',
    doc: 'A comment line is sent on every idle revocation stream this often, so clients and proxies see it alive.',
  },
  revocationFeedMaxBufferedBytes: {
    env: 'TESSERA_REVOCATION_FEED_MAX_BUFFERED_BYTES',
    kind: int(1024, 64 * 1024 * 1024),
    default: 1_048_576,
    example: '1048576',
    doc: 'A revocation stream whose unsent data exceeds this is closed (slow consumer); the client resumes or resets.',
  },
} as const satisfies Record<string, Field>;

declare module '../config/schema.js' {
  interface FeatureConfig extends ConfigOf<typeof REVOCATION_FEED_FIELDS> {}
}
