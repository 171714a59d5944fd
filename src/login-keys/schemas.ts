/**
 * JSON schemas of `GET /api/public/auth/public-key`, for the route author to
 * plug into Fastify (`schema: { querystring, headers, response }`). Kept here,
 * next to the rules they describe, and free of node:* imports.
 */

/** Opt-in value of `?alg=` for the shared-key RSA-OAEP-256 mode (label = key id). */
export const ALG_OAEP = 'RSA-OAEP-256';
/** Explicit name of the default one-time mode (PKCS#1 v1.5 or unlabelled OAEP). */
export const ALG_ONE_TIME = 'RSA1_5';
const ALGS = [ALG_ONE_TIME, ALG_OAEP] as const;
export type Alg = (typeof ALGS)[number];

/**
 * X-Session-Id: 1..128 printable ASCII characters (0x20-0x7E). HTTP parsing
 * trims surrounding spaces, so a blank value arrives empty and fails.
 */
const SESSION_ID_PATTERN = '^[\\x20-\\x7E]{1,128}$';
export const SESSION_ID_RE = /^[\x20-\x7E]{1,128}$/;

/** Key ids this service issues: 24 base64url characters (18 random bytes). */
const KEY_ID_PATTERN = '^[A-Za-z0-9_-]{24}$';
export const KEY_ID_RE = /^[A-Za-z0-9_-]{24}$/;

/** Query string: `alg` is optional; absent = one-time key (what seed-001 clients get). */
export const publicKeyQuerySchema = {
  type: 'object',
  properties: {
    alg: {
      type: 'string',
      enum: [...ALGS],
      description: 'RSA-OAEP-256 opts into shared-key OAEP with the key id as label',
    },
  },
} as const;

/** Headers: Fastify lower-cases names. A bad value answers 400 VALIDATION_FAILED. */
export const publicKeyHeadersSchema = {
  type: 'object',
  properties: {
    'x-session-id': { type: 'string', pattern: SESSION_ID_PATTERN, minLength: 1, maxLength: 128 },
  },
} as const;

/** The `data` of a successful answer (the envelope `{ code, message, data }` is the route's). */
export const publicKeyDataSchema = {
  type: 'object',
  required: ['key_id', 'public_key', 'expires_at', 'algorithm', 'paddings'],
  properties: {
    key_id: { type: 'string', pattern: KEY_ID_PATTERN },
    public_key: { type: 'string', description: 'SPKI PEM' },
    expires_at: { type: 'integer', description: 'epoch milliseconds' },
    algorithm: { type: 'string', const: 'RSA' },
    paddings: {
      type: 'array',
      items: { type: 'string', enum: [...ALGS] },
      description:
        'Accepted paddings: RSA1_5 = PKCS#1 v1.5, RSA-OAEP-256 = OAEP with SHA-256 and MGF1-SHA-256',
    },
    label: {
      type: 'string',
      description:
        'Shared-key mode only: the RSA-OAEP label, as the UTF-8 bytes of this string (equal to key_id)',
    },
  },
} as const;

/** What `issue()` returns and the route sends as `data`. */
export interface PublicKeyData {
  key_id: string;
  public_key: string;
  expires_at: number;
  algorithm: 'RSA';
  paddings: Alg[];
  label?: string;
}
