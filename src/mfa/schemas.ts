import { tokenPair } from '../auth/schemas.js';

/** JSON schemas of the second factor's routes (they also generate /openapi.json). */
const str = (max: number, extra: object = {}) => ({ type: 'string', maxLength: max, ...extra });
const code = str(32, { minLength: 1, description: 'A 6-digit TOTP code, or a recovery code' });
const ticket = str(128, { minLength: 1, description: 'The ticket of the MFA_REQUIRED answer' });
const captcha = str(8192, { description: 'Human-verification solution (after repeated failures)' });
const password = str(1024, { minLength: 1 });

export const enrollBody = {
  type: 'object',
  examples: [{ current_password: 'correct horse battery staple' }],
  required: ['current_password'],
  additionalProperties: false,
  properties: { current_password: password },
};

export const ticketEnrollBody = {
  type: 'object',
  examples: [{ mfa_ticket: 'mt_9d8c7b…' }],
  required: ['mfa_ticket'],
  additionalProperties: false,
  properties: { mfa_ticket: ticket },
};

export const enrollData = {
  type: 'object',
  required: ['secret', 'otpauth_uri', 'qr_svg'],
  properties: {
    secret: { type: 'string', description: 'The base32 secret, for typing in by hand' },
    otpauth_uri: { type: 'string', description: 'otpauth://totp/… (issuer, label, secret)' },
    qr_svg: { type: 'string', description: 'The URI as an SVG QR code' },
  },
};

export const confirmBody = {
  type: 'object',
  examples: [{ code: '492039' }],
  required: ['code'],
  additionalProperties: false,
  properties: { code },
};

const recoveryCodes = {
  type: 'array',
  items: { type: 'string' },
  minItems: 10,
  maxItems: 10,
  description: 'Single-use recovery codes, shown this once',
};

export const confirmData = {
  type: 'object',
  required: ['recovery_codes'],
  properties: { recovery_codes: recoveryCodes },
};

export const disableBody = {
  type: 'object',
  examples: [{ current_password: 'correct horse battery staple' }],
  additionalProperties: false,
  minProperties: 1,
  maxProperties: 1,
  properties: { current_password: password, code },
};

export const statusData = {
  type: 'object',
  required: ['totp', 'recovery_codes_left', 'methods', 'required'],
  properties: {
    totp: {
      type: 'object',
      required: ['enabled', 'pending'],
      properties: {
        enabled: { type: 'boolean' },
        pending: { type: 'boolean', description: 'Enrolled, waiting for its first code' },
      },
    },
    recovery_codes_left: { type: 'integer' },
    methods: { type: 'array', items: { type: 'string', enum: ['totp', 'recovery_code'] } },
    required: { type: 'boolean', description: 'A second factor is required of this user' },
  },
};

export const verifyBody = {
  type: 'object',
  examples: [{ mfa_ticket: 'mt_9d8c7b…', code: '492039' }],
  required: ['mfa_ticket', 'code'],
  additionalProperties: false,
  properties: { mfa_ticket: ticket, code, captcha },
};

export const ticketConfirmData = {
  type: 'object',
  required: [...tokenPair.required, 'recovery_codes'],
  properties: { ...tokenPair.properties, recovery_codes: recoveryCodes },
};

export const userIdParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'integer', minimum: 1, maximum: 2147483647 } },
};
