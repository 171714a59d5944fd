import { int, type ConfigOf, type Field } from '../config/schema.js';

/** Encrypted login (one-time RSA keys): the fields this feature adds to the config table. */
export const LOGIN_KEY_FIELDS = {
  rsaKeyTtl: {
    env: 'TESSERA_RSA_KEY_TTL_SECONDS',
    kind: int(5, 3600),
    default: 300,
    example: '300',
    doc: 'Lifetime of a one-time login encryption key (contract).',
  },
  rsaKeySize: {
    env: 'TESSERA_RSA_KEY_SIZE',
    kind: { t: 'enum', values: ['2048', '3072'] },
    default: '2048',
    example: '3072',
    doc: 'Modulus size of login encryption keys.',
  },
  rsaKeyPoolSize: {
    env: 'TESSERA_RSA_KEY_POOL_SIZE',
    kind: int(1, 10_000),
    default: 64,
    example: '64',
    doc: 'Pre-generated one-time key pairs kept ready.',
  },
  rsaKeyPerIpPerMinute: {
    env: 'TESSERA_RSA_KEY_REQUESTS_PER_IP_PER_MINUTE',
    kind: int(1, 1_000_000),
    default: 30,
    example: '30',
    doc: 'Public-key requests one IP may make per minute (offices behind one NAT share it).',
  },
  rsaKeyPerSessionPerMinute: {
    env: 'TESSERA_RSA_KEY_REQUESTS_PER_SESSION_PER_MINUTE',
    kind: int(1, 1_000_000),
    default: 10,
    example: '10',
    doc: 'Public-key requests one X-Session-Id may make per minute.',
  },
} as const satisfies Record<string, Field>;

declare module '../config/schema.js' {
  interface FeatureConfig extends ConfigOf<typeof LOGIN_KEY_FIELDS> {}
}
