export const sessionView = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    device_id: { type: ['string', 'null'] },
    device_name: { type: ['string', 'null'] },
    ip: { type: ['string', 'null'] },
    user_agent: { type: ['string', 'null'] },
    created_at: { type: 'integer' },
    last_seen_at: { type: 'integer' },
    expires_at: { type: 'integer' },
    current: { type: 'boolean' },
  },
} as const;

export function viewSession(
  s: {
    id: string;
    device_id: string | null;
    device_name: string | null;
    ip: string | null;
    user_agent: string | null;
    created_at: number;
    last_seen_at: number;
    expires_at: number;
  },
  currentSid?: string,
) {
  return {
    id: s.id,
    device_id: s.device_id,
    device_name: s.device_name,
    ip: s.ip,
    user_agent: s.user_agent,
    created_at: s.created_at,
    last_seen_at: s.last_seen_at,
    expires_at: s.expires_at,
    current: s.id === currentSid,
  };
}

export const sessionIdParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' } },
} as const;
