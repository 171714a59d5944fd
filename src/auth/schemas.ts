/** JSON schemas of the seed-001 public endpoints (they also generate /openapi.json). */
const str = (max: number, extra: object = {}) => ({ type: 'string', maxLength: max, ...extra });

export const tokenPair = {
  type: 'object',
  required: ['access_token', 'refresh_token', 'token_type', 'expires_in', 'refresh_expires_in'],
  properties: {
    access_token: { type: 'string' },
    refresh_token: { type: 'string' },
    token_type: { type: 'string', enum: ['Bearer'] },
    expires_in: { type: 'integer', description: 'Seconds until the access token expires.' },
    refresh_expires_in: {
      type: 'integer',
      description: 'Seconds until the refresh token expires.',
    },
  },
};

export const loginBody = {
  type: 'object',
  examples: [
    {
      username: 'alice',
      encryptedPassword: 'kq3v…base64 RSA ciphertext…',
      keyId: 'k_2f9c1e',
      device_id: 'web-7f3a',
      device_name: 'Firefox on Linux',
    },
  ],
  required: ['username'],
  additionalProperties: false,
  properties: {
    username: str(254, { minLength: 1 }),
    password: str(1024, { minLength: 1 }),
    encryptedPassword: str(2048, {
      minLength: 1,
      description: 'base64 RSA ciphertext of the UTF-8 password under the key from public-key',
    }),
    keyId: str(200, { minLength: 1 }),
    captcha: str(8192, { description: 'Human-verification solution (after repeated failures)' }),
    mfa_code: str(32, {
      description: 'A second-factor code (TOTP or recovery code): logs in in one call',
    }),
    device_id: str(128, { pattern: '^[\\x21-\\x7e]+$' }),
    device_name: str(128),
    user_type: str(32),
  },
};

export const registerBody = {
  type: 'object',
  examples: [
    {
      username: 'alice',
      email: 'alice@example.com',
      password: 'correct horse battery staple',
      locale: 'en',
    },
  ],
  required: ['username', 'email', 'password'],
  additionalProperties: false,
  properties: {
    username: str(256, { minLength: 1 }),
    email: str(254, { minLength: 3 }),
    password: str(1024, { minLength: 1 }),
    phoneNumber: { anyOf: [str(32), { type: 'null' }] },
    captcha: str(8192),
    locale: str(35, {
      pattern: '^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$',
      description:
        'Language of the mails the account receives (e.g. `zh-CN`); default: Accept-Language',
    }),
  },
};

export const refreshBody = {
  type: 'object',
  examples: [{ refresh_token: 'rt_1a2b3c…' }],
  required: ['refresh_token'],
  additionalProperties: false,
  properties: { refresh_token: str(8192, { minLength: 1 }) },
};

export const meData = {
  type: 'object',
  required: ['userId', 'username', 'authorities'],
  properties: {
    userId: { type: 'integer' },
    username: { type: 'string' },
    authorities: {
      type: 'array',
      items: { type: 'string' },
      description: 'Roles as ROLE_* (the form the encrypted-login client reads).',
    },
    user_type: { type: 'string' },
    role: { type: 'string' },
    level: { type: 'integer' },
    scope: { type: 'string' },
    session_id: { type: 'string' },
    expires_at: { type: 'integer', description: 'Access-token expiry, ms since the epoch.' },
  },
};
