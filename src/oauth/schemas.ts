/** JSON schemas of the external providers' routes (they also generate /openapi.json). */
const str = (max: number, extra: object = {}) => ({ type: 'string', maxLength: max, ...extra });
const name = str(32, {
  pattern: '^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$',
  description: 'The provider name',
});

export const providerParams = {
  type: 'object',
  required: ['provider'],
  properties: { provider: name },
};

export const startQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    return_to: str(2048, {
      description: "One of the provider's return URLs (exact); default the first",
    }),
    state: str(256, {
      description: "The application's own value, echoed back on its return URL as `state`",
    }),
  },
};

export const callbackQuery = {
  type: 'object',
  // Providers add parameters of their own (iss, session_state, scope, authuser…).
  additionalProperties: str(2048),
  properties: {
    code: str(2048),
    state: str(128),
    error: str(256),
    error_description: str(1024),
  },
};

const device = {
  device_id: str(128, { pattern: '^[\\x21-\\x7e]+$' }),
  device_name: str(128),
};

export const tokenBody = {
  type: 'object',
  examples: [{ code: 'oc_5e6f7a…', device_id: 'web-7f3a' }],
  required: ['code'],
  additionalProperties: false,
  properties: {
    code: str(128, { minLength: 1, description: 'The one-time code of the return URL' }),
    ...device,
  },
};

export const confirmBody = {
  type: 'object',
  examples: [{ link_ticket: 'lt_3c4d5e…', password: 'correct horse battery staple' }],
  required: ['link_ticket', 'password'],
  additionalProperties: false,
  properties: {
    link_ticket: str(128, {
      minLength: 1,
      description: 'The ticket of the IDENTITY_CONFIRM_REQUIRED answer',
    }),
    password: str(1024, { minLength: 1, description: "The existing account's password" }),
    mfa_code: str(32, { description: 'Its second-factor code, if it has one' }),
    captcha: str(8192),
    ...device,
  },
};

export const bindBody = {
  type: 'object',
  examples: [{ return_to: 'https://app.example.com/settings/accounts' }],
  additionalProperties: false,
  properties: startQuery.properties,
};

export const bindData = {
  type: 'object',
  required: ['authorization_url'],
  properties: { authorization_url: { type: 'string', description: 'Send the browser there' } },
};

const nullableStr = { type: ['string', 'null'] };
export const identitiesData = {
  type: 'object',
  required: ['items'],
  properties: {
    items: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          provider: {
            type: 'string',
            description: "Stored key: 'oauth:<name>', 'wechat-web:<appid>', 'wechat-mp:<appid>'",
          },
          provider_name: { ...nullableStr, description: 'The configured provider it came through' },
          subject: { type: 'string' },
          email: nullableStr,
          email_verified: { type: 'boolean' },
          display_name: nullableStr,
          created_at: { type: 'integer' },
          last_login_at: { type: ['integer', 'null'] },
        },
      },
    },
  },
};

export const publicProvidersData = {
  type: 'object',
  required: ['items'],
  properties: {
    items: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          display_name: { type: 'string' },
          kind: { type: 'string', enum: ['oidc', 'oauth2', 'wechat'] },
        },
      },
    },
  },
};

const definitionProps = {
  name,
  kind: { type: 'string', enum: ['oidc', 'oauth2', 'wechat'] },
  display_name: str(64),
  issuer: str(2048),
  authorization_endpoint: str(2048),
  token_endpoint: str(2048),
  userinfo_endpoint: str(2048),
  jwks_uri: str(2048),
  emails_endpoint: str(2048),
  client_id: str(256),
  scopes: { type: 'array', maxItems: 32, items: str(128) },
  claims: {
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(
      ['subject', 'email', 'email_verified', 'name', 'username'].map((k) => [k, str(64)]),
    ),
  },
  return_urls: { type: 'array', minItems: 1, maxItems: 20, items: str(2048) },
  allow_signup: { type: 'boolean' },
  user_type: str(32),
  allow_http: { type: 'boolean' },
};

export const definitionBody = {
  type: 'object',
  examples: [
    {
      name: 'google',
      kind: 'oidc',
      display_name: 'Google',
      issuer: 'https://accounts.google.com',
      client_id: '1234.apps.googleusercontent.com',
      client_secret: 'GOCSPX-…',
      scopes: ['openid', 'email', 'profile'],
      return_urls: ['https://app.example.com/login/done'],
      allow_signup: true,
    },
  ],
  required: ['name', 'client_id', 'return_urls'],
  additionalProperties: false,
  properties: {
    ...definitionProps,
    client_secret: str(1024, { description: 'Sealed at rest; never answered' }),
  },
};

export const definitionUpdateBody = {
  type: 'object',
  examples: [
    {
      kind: 'oidc',
      display_name: 'Google',
      issuer: 'https://accounts.google.com',
      client_id: '1234.apps.googleusercontent.com',
      return_urls: ['https://app.example.com/login/done'],
      allow_signup: false,
    },
  ],
  required: ['client_id', 'return_urls'],
  additionalProperties: false,
  properties: {
    ...definitionProps,
    client_secret: str(1024, { description: 'Omit to keep the stored secret' }),
  },
};

const definitionOut = {
  type: 'object',
  properties: {
    ...definitionProps,
    has_client_secret: { type: 'boolean' },
    callback_url: { type: 'string', description: 'Register this redirect URI at the provider' },
    source: { type: 'string', enum: ['config', 'admin'] },
  },
};

export const providerData = definitionOut;
export const providersData = {
  type: 'object',
  required: ['items'],
  properties: { items: { type: 'array', items: definitionOut } },
};
