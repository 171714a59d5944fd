import { int } from '../contract/numbers.js';

/** JSON schemas of the outbox route (they also generate /openapi.json). */
export const outboxQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    to: {
      type: 'string',
      minLength: 1,
      maxLength: 320,
      description: 'Only mails to this address (compared without regard to case).',
    },
    limit: int(1, 200, { default: 50, description: 'How many mails, newest first.' }),
  },
} as const;

export const outboxPage = {
  type: 'object',
  required: ['items'],
  properties: {
    items: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'to', 'subject', 'text', 'html', 'created_at'],
        properties: {
          id: { type: 'string' },
          to: { type: 'string' },
          subject: { type: 'string' },
          text: { type: 'string' },
          html: { type: 'string' },
          created_at: { type: 'integer', description: 'When it was queued, epoch milliseconds.' },
        },
      },
    },
  },
} as const;
