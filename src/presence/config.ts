import { int, type ConfigOf, type Field } from '../config/schema.js';

/** Presence and the WebSocket: the fields this feature adds to the config table. */
export const PRESENCE_FIELDS = {
  presenceTimeout: {
    env: 'TESSERA_PRESENCE_TIMEOUT_SECONDS',
    kind: int(5, 3600),
    default: 60,
    example: '60',
    doc: 'Heartbeat silence after which a user without open sockets is offline (dynamic).',
  },
  wsMaxBufferedBytes: {
    env: 'TESSERA_WS_MAX_BUFFERED_BYTES',
    kind: int(1024, 64 * 1024 * 1024),
    default: 1_048_576,
    example: '1048576',
    doc: 'A socket whose unsent data exceeds this is closed (slow consumer).',
  },
} as const satisfies Record<string, Field>;

declare module '../config/schema.js' {
  interface FeatureConfig extends ConfigOf<typeof PRESENCE_FIELDS> {}
}
