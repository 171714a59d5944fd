import { int, type ConfigOf, type Field } from '../config/schema.js';

/** The second factor's config fields (decision 0017). */
export const MFA_FIELDS = {
  mfaIssuer: {
    env: 'TESSERA_MFA_ISSUER',
    kind: { t: 'string', max: 64 },
    default: 'Tessera',
    example: 'Example Corp',
    doc: 'Issuer shown by authenticator apps for TOTP factors (a tenant other than the default one is added in brackets).',
  },
  mfaTicketTtl: {
    env: 'TESSERA_MFA_TICKET_TTL_SECONDS',
    kind: int(30, 300),
    default: 300,
    example: '300',
    doc: 'Lifetime of the ticket a login answers with when it needs a second factor (at most 300 s).',
  },
  mfaRequiredRoles: {
    env: 'TESSERA_MFA_REQUIRED_ROLES',
    kind: { t: 'string', max: 1024 },
    default: '',
    example: 'admin,auditor',
    doc: 'Comma-separated roles whose users must use a second factor; one without is made to set it up at the next login. Changeable at run time, per tenant.',
  },
  mfaRequiredUserTypes: {
    env: 'TESSERA_MFA_REQUIRED_USER_TYPES',
    kind: { t: 'string', max: 1024 },
    default: '',
    example: 'kefu',
    doc: 'Comma-separated user types whose users must use a second factor (as TESSERA_MFA_REQUIRED_ROLES). Changeable at run time, per tenant.',
  },
} as const satisfies Record<string, Field>;

declare module '../config/schema.js' {
  interface FeatureConfig extends ConfigOf<typeof MFA_FIELDS> {}
}

declare module '../settings/service.js' {
  interface FeatureSettings {
    mfaRequiredRoles: string;
    mfaRequiredUserTypes: string;
  }
}
