/**
 * Permissions a route can require, and the roles every installation starts with.
 * Seed 003 asks for ordinal tiers "from ordinary user up to director": the
 * `level` of a role orders them; routes may require a minimum level.
 */
export const PERMISSIONS = [
  'profile:read',
  'presence:read',
  'users:read',
  'users:write',
  'sessions:read',
  'sessions:write',
  'roles:read',
  'roles:write',
  'settings:read',
  'settings:write',
  'audit:read',
  'keys:read',
  'keys:write',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

export interface RoleDef {
  name: string;
  level: number;
  description: string;
  permissions: string[];
}

/** The roles a new installation starts with; `admin` holds every permission of the catalogue. */
export const defaultRoles = (catalogue: readonly string[]): RoleDef[] => [
  {
    name: 'user',
    level: 10,
    description: 'Ordinary user',
    permissions: ['profile:read', 'presence:read'],
  },
  {
    name: 'admin',
    level: 100,
    description: 'Administrator: every permission',
    permissions: [...catalogue],
  },
];
