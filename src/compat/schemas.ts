import type { TokenPair } from '../auth/service.js';
import type { ErrorCode } from '../contract/errors.js';
import { errorResponses } from '../contract/reply.js';
import { userViewSchema, type userView } from '../presence/views.js';
import { seedErrorSchema } from './error-hooks.js';

/** `{ success, message, data }` around `data` (seed 000). */
export function seedBody(data: object) {
  return {
    type: 'object',
    required: ['success', 'message', 'data'],
    properties: { success: { type: 'boolean' }, message: { type: 'string' }, data },
  };
}

/** Success shape plus the `{ success: false, … }` error shape for the codes it can answer. */
export function seedResponses(ok: object, errors: readonly ErrorCode[]): Record<string, object> {
  return { 200: ok, ...errorResponses(errors, seedErrorSchema) };
}

export const seedLoginBody = {
  type: 'object',
  examples: [
    {
      username: 'agent7',
      password: 'a-long-random-passphrase',
      user_type: 'agent',
      device_id: 'desk-12',
    },
  ],
  required: ['username', 'password'],
  properties: {
    username: { type: 'string', minLength: 1, maxLength: 256 },
    password: { type: 'string', minLength: 1, maxLength: 1024 },
    user_type: { type: 'string', maxLength: 32 },
    device_id: { type: 'string', pattern: '^[\\x21-\\x7e]{1,128}$' },
    device_name: { type: 'string', maxLength: 128 },
    captcha: {
      type: 'string',
      maxLength: 8192,
      description:
        'Human-verification solution, required after repeated failures (GET /api/public/captcha/challenge)',
    },
    mfa_code: {
      type: 'string',
      maxLength: 32,
      description:
        'A second-factor code (TOTP or recovery code); without it, a user with a factor gets MFA_REQUIRED and a ticket for POST /api/public/auth/mfa/verify',
    },
  },
} as const;

export const seedMfaVerifyBody = {
  type: 'object',
  examples: [{ mfa_ticket: 'mt_9d8c7b…', code: '492039' }],
  required: ['mfa_ticket', 'code'],
  additionalProperties: false,
  properties: {
    mfa_ticket: { type: 'string', minLength: 1, maxLength: 128 },
    code: { type: 'string', minLength: 1, maxLength: 32, description: 'A TOTP or recovery code' },
    captcha: { type: 'string', maxLength: 8192 },
  },
} as const;

const loginDataSchema = {
  type: 'object',
  required: ['token', 'user', 'expires_in', 'refresh_token', 'token_type', 'refresh_expires_in'],
  properties: {
    token: { type: 'string', description: 'The access token (JWT)' },
    user: userViewSchema,
    expires_in: { type: 'integer', description: 'Seconds' },
    refresh_token: { type: 'string' },
    token_type: { type: 'string', enum: ['Bearer'] },
    refresh_expires_in: { type: 'integer' },
  },
} as const;

export const loginSchema = {
  type: 'object',
  required: ['success', 'message', 'token', 'data'],
  properties: {
    success: { type: 'boolean' },
    message: { type: 'string' },
    token: {
      type: 'string',
      description: 'Same as data.token (the customer-service frontend reads it here)',
    },
    data: loginDataSchema,
  },
} as const;

export function loginData(t: TokenPair, user: ReturnType<typeof userView>) {
  return {
    token: t.access_token,
    user,
    expires_in: t.expires_in,
    refresh_token: t.refresh_token,
    token_type: t.token_type,
    refresh_expires_in: t.refresh_expires_in,
  };
}
