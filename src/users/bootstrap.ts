import type { Config } from '../config/schema.js';
import type { Logger } from 'pino';
import type { UserService } from './service.js';
import { randomBytes } from 'node:crypto';

/**
 * First run: with no user at all, create `admin` (random password printed
 * once, or TESSERA_ADMIN_PASSWORD). TESSERA_DEMO=1 instead seeds seed 000's
 * demo users with their well-known passwords (refused in production by config).
 */
export async function bootstrapUsers(d: {
  config: Config;
  log: Logger;
  users: UserService;
}): Promise<void> {
  if ((await d.users.store.count()) > 0) return;
  if (d.config.demo) {
    d.log.warn(
      'TESSERA_DEMO=1: creating demo users admin/admin123 and kefu1/kefu123 with KNOWN PASSWORDS. Never do this on a reachable server.',
    );
    await d.users.create({
      username: 'admin',
      password: 'admin123',
      userType: 'kefu',
      displayName: '系统管理员',
      email: 'admin@example.com',
      roles: ['admin', 'user'],
      trustedPassword: true,
      emailVerified: true,
    });
    await d.users.create({
      username: 'kefu1',
      password: 'kefu123',
      userType: 'kefu',
      displayName: '客服001',
      email: 'kefu1@example.com',
      roles: ['user'],
      trustedPassword: true,
      emailVerified: true,
    });
    return;
  }
  const given = d.config.adminPassword;
  const password = given ?? randomBytes(18).toString('base64url');
  await d.users.create({
    username: 'admin',
    password,
    roles: ['admin', 'user'],
    displayName: 'Administrator',
    trustedPassword: given === undefined,
  });
  if (given)
    d.log.info('first run: created user "admin" with the password from TESSERA_ADMIN_PASSWORD');
  else {
    // Printed once, on purpose: the operator needs it to log in the first time.
    d.log.warn(
      { username: 'admin', password },
      'first run: created user "admin" with this random password. It is shown only now: change it after logging in.',
    );
  }
}
