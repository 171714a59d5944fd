import { tokenPair } from '../auth/schemas.js';

/** JSON schemas of the WeChat routes (they also generate /openapi.json). */
const str = (max: number, extra: object = {}) => ({ type: 'string', maxLength: max, ...extra });
const printable = { pattern: '^[\\x21-\\x7e]+$' };
const code = (what: string) => str(128, { minLength: 1, ...printable, description: what });
const appId = str(64, {
  pattern: '^\\w{1,64}$',
  description: 'The mini-program (AppID); optional when the tenant has one',
});

export const loginBody = {
  type: 'object',
  examples: [{ code: '0a1B2c3D4e5F6g', app_id: 'wx1234567890abcdef', device_id: 'mp-iphone' }],
  required: ['code'],
  additionalProperties: false,
  properties: {
    code: code('The code of wx.login() (single use, 5 minutes)'),
    app_id: appId,
    phone_code: code('Optional: the code of a getPhoneNumber button, to store the number'),
    user_type: str(32),
    captcha: str(8192, { description: 'Human-verification solution (after repeated failures)' }),
    mfa_code: str(32, { description: 'A second-factor code: logs in in one call' }),
    device_id: str(128, printable),
    device_name: str(128),
  },
};

export const loginData = {
  ...tokenPair,
  properties: {
    ...tokenPair.properties,
    new_user: { type: 'boolean', description: 'This login created the user' },
    phone_error: {
      type: 'string',
      description: 'The error code of a phone_code that could not be used (the login succeeded)',
    },
  },
};

export const bindBody = {
  type: 'object',
  examples: [{ code: '0a1B2c3D4e5F6g', app_id: 'wx1234567890abcdef' }],
  required: ['code'],
  additionalProperties: false,
  properties: { code: code('The code of wx.login()'), app_id: appId },
};

export const bindData = {
  type: 'object',
  required: ['app_id', 'bound_at'],
  properties: { app_id: { type: 'string' }, bound_at: { type: 'integer' } },
};

export const unbindQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { app_id: appId },
};

export const phoneBody = {
  type: 'object',
  examples: [{ code: 'e31f…getPhoneNumber code', app_id: 'wx1234567890abcdef' }],
  required: ['code'],
  additionalProperties: false,
  properties: { code: code('The code of a getPhoneNumber button'), app_id: appId },
};

export const phoneData = {
  type: 'object',
  required: ['phone_number'],
  properties: { phone_number: { type: 'string' } },
};

export const appParams = {
  type: 'object',
  required: ['app_id'],
  properties: { app_id: { ...appId, description: 'The mini-program AppID' } },
};

export const putAppBody = {
  type: 'object',
  examples: [{ secret: '0123456789abcdef0123456789abcdef' }],
  required: ['secret'],
  additionalProperties: false,
  properties: { secret: str(128, { minLength: 1, ...printable, description: 'The AppSecret' }) },
};

const appView = {
  type: 'object',
  required: ['app_id', 'source', 'created_at', 'updated_at'],
  properties: {
    app_id: { type: 'string' },
    source: {
      type: 'string',
      enum: ['env', 'tenant'],
      description: '`env`: TESSERA_WECHAT_APP_ID (default tenant); `tenant`: registered here',
    },
    created_at: { type: ['integer', 'null'] },
    updated_at: { type: ['integer', 'null'] },
  },
};

export const appData = appView;

export const appList = {
  type: 'object',
  required: ['items'],
  properties: { items: { type: 'array', items: appView } },
};
