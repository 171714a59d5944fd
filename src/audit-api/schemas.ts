import { idSchema, pageSchema, pageSizeSchema } from '../contract/numbers.js';

/** JSON schemas of the audit API (they also generate /openapi.json). */
const nullable = (type: string) => ({ type: [type, 'null'] });

export const auditQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    user_id: idSchema,
    ip: { type: 'string', maxLength: 64 },
    event: {
      type: 'string',
      maxLength: 64,
      pattern: '^[a-z0-9_.]+\\*?$',
      description: 'Exact event, or a prefix ending in "." or "*" (e.g. `login.*`, `admin.`).',
    },
    from: {
      type: 'string',
      maxLength: 40,
      description: 'Inclusive start: epoch milliseconds or an ISO 8601 date-time.',
    },
    to: {
      type: 'string',
      maxLength: 40,
      description: 'Exclusive end: epoch milliseconds or an ISO 8601 date-time.',
    },
    page: pageSchema,
    page_size: pageSizeSchema(50),
  },
} as const;

const auditEventView = {
  type: 'object',
  required: ['id', 'at', 'event', 'outcome'],
  properties: {
    id: { type: 'integer' },
    at: { type: 'integer', description: 'Epoch milliseconds.' },
    event: {
      type: 'string',
      description:
        'login.success, login.failure, logout, refresh, refresh.reuse, session.end, password.change, account.lock, captcha.failure, alert.<kind>, admin.<action>…',
    },
    outcome: { type: 'string', enum: ['success', 'failure', 'info'] },
    user_id: nullable('integer'),
    username: nullable('string'),
    ip: nullable('string'),
    user_agent: nullable('string'),
    device_id: nullable('string'),
    session_id: nullable('string'),
    reason: nullable('string'),
    actor_id: nullable('integer'),
    data: { type: ['object', 'null'], additionalProperties: true },
  },
} as const;

export const auditPage = {
  type: 'object',
  required: ['items', 'total', 'page', 'page_size'],
  properties: {
    items: { type: 'array', items: auditEventView },
    total: { type: 'integer' },
    page: { type: 'integer' },
    page_size: { type: 'integer' },
  },
} as const;
