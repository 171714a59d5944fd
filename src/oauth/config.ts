import { int, type ConfigOf, type Field } from '../config/schema.js';

/** External identity providers' config fields (decision 0020). */
export const OAUTH_FIELDS = {
  oauthProviders: {
    env: 'TESSERA_OAUTH_PROVIDERS',
    // Checked when the feature starts (src/oauth/feature.ts), where the reason can be told without
    // the value: a secret field's own check would only say "is not valid".
    kind: { t: 'string', max: 65_536 },
    default: '',
    secret: true,
    example: '/etc/tessera/providers.json',
    doc: "The default tenant's external identity providers (OpenID Connect, OAuth 2.0, WeChat web login): a JSON array of definitions, or the path of a file holding one (client secrets are secrets: prefer the file). See docs/identity-providers.md.",
  },
  oauthTimeoutMs: {
    env: 'TESSERA_OAUTH_TIMEOUT_MS',
    kind: int(500, 30_000),
    default: 5000,
    example: '5000',
    doc: 'How long a call to an identity provider (discovery, token, userinfo) may take before the login answers OAUTH_PROVIDER_TIMEOUT.',
  },
  oauthStateTtl: {
    env: 'TESSERA_OAUTH_STATE_TTL_SECONDS',
    kind: int(60, 1800),
    default: 600,
    example: '600',
    doc: 'How long a sign-in started at a provider may take to come back (the state is single use).',
  },
  oauthCodeTtl: {
    env: 'TESSERA_OAUTH_CODE_TTL_SECONDS',
    kind: int(5, 60),
    default: 60,
    example: '60',
    doc: 'Lifetime of the one-time code the application exchanges for tokens after a provider login (at most 60 s).',
  },
} as const satisfies Record<string, Field>;

declare module '../config/schema.js' {
  interface FeatureConfig extends ConfigOf<typeof OAUTH_FIELDS> {}
}
