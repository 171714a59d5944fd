import { idSchema, int, pageSchema, pageSizeSchema } from '../contract/numbers.js';
import type { UserRow } from '../users/store.js';

export const userView = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    username: { type: 'string' },
    email: { type: ['string', 'null'] },
    phoneNumber: { type: ['string', 'null'] },
    display_name: { type: ['string', 'null'] },
    user_type: { type: 'string' },
    status: { type: 'string', enum: ['active', 'disabled'] },
    roles: { type: 'array', items: { type: 'string' } },
    created_at: { type: 'integer' },
    updated_at: { type: 'integer' },
  },
} as const;

export function viewUser(u: UserRow, roles: string[]) {
  return {
    id: u.id,
    username: u.username,
    email: u.email,
    phoneNumber: u.phone_number,
    display_name: u.display_name,
    user_type: u.user_type,
    status: u.status,
    roles,
    created_at: u.created_at,
    updated_at: u.updated_at,
  };
}

export const idParams = { type: 'object', required: ['id'], properties: { id: idSchema } } as const;
export const nameParams = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,31}$' } },
} as const;

const roleList = {
  type: 'array',
  maxItems: 32,
  uniqueItems: true,
  items: { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,31}$' },
} as const;

export const createUserBody = {
  type: 'object',
  examples: [
    {
      username: 'agent7',
      email: 'agent7@example.com',
      password: 'a-long-random-passphrase',
      display_name: 'Agent Seven',
      user_type: 'agent',
      roles: ['user'],
    },
  ],
  required: ['username', 'password'],
  additionalProperties: false,
  properties: {
    username: { type: 'string', minLength: 1, maxLength: 256 },
    email: { type: 'string', maxLength: 254 },
    password: { type: 'string', minLength: 1, maxLength: 1024 },
    phoneNumber: { type: 'string', maxLength: 32 },
    display_name: { type: 'string', maxLength: 128 },
    user_type: { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,31}$' },
    roles: roleList,
  },
} as const;

/**
 * For PATCH bodies: an unknown key is a 400, not silently dropped. The app's
 * Ajv runs with removeAdditional, which strips keys only where
 * `additionalProperties` is `false`; a schema that nothing matches refuses them,
 * so a typo ("maxSession", "statuss") cannot answer 200 having changed nothing.
 */
export const REFUSE_UNKNOWN = { not: {} } as const;

export const updateUserBody = {
  type: 'object',
  examples: [{ status: 'disabled' }],
  additionalProperties: REFUSE_UNKNOWN,
  minProperties: 1,
  properties: {
    display_name: { type: ['string', 'null'], maxLength: 128 },
    email: { type: ['string', 'null'], maxLength: 254 },
    phoneNumber: { type: ['string', 'null'], maxLength: 32 },
    user_type: { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,31}$' },
    status: { type: 'string', enum: ['active', 'disabled'] },
    password: { type: 'string', minLength: 1, maxLength: 1024 },
  },
} as const;

export const rolesBody = {
  type: 'object',
  examples: [{ roles: ['user', 'support'] }],
  required: ['roles'],
  additionalProperties: false,
  properties: { roles: roleList },
} as const;

export const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    search: { type: 'string', maxLength: 64 },
    user_type: { type: 'string', maxLength: 32 },
    status: { type: 'string', enum: ['active', 'disabled'] },
    page: pageSchema,
    page_size: pageSizeSchema(20),
  },
} as const;

export const page = (items: object) => ({
  type: 'object',
  properties: {
    items: { type: 'array', items },
    total: { type: 'integer' },
    page: { type: 'integer' },
    page_size: { type: 'integer' },
  },
});

export const roleView = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    level: { type: 'integer' },
    description: { type: 'string' },
    permissions: { type: 'array', items: { type: 'string' } },
  },
} as const;

export const roleBody = {
  type: 'object',
  examples: [
    {
      level: 50,
      description: 'Support staff',
      permissions: ['users:read', 'sessions:read', 'presence:read'],
    },
  ],
  required: ['level', 'permissions'],
  additionalProperties: false,
  properties: {
    level: int(0, 1000),
    description: { type: 'string', maxLength: 256 },
    permissions: {
      type: 'array',
      maxItems: 100,
      uniqueItems: true,
      items: { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,31}:[a-z][a-z0-9_-]{0,31}$' },
    },
  },
} as const;
