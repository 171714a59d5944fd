import type { PasswordDecryptor } from '../guard.js';
import { fail } from '../../lib/errors.js';
import type { PasswordHasher } from '../../passwords/hasher.js';
import type { LoginFlow, LoginStep } from '../pipeline.js';

export interface PasswordStepDeps {
  hasher: PasswordHasher;
  /** Seed 001's one-time RSA keys (the login-keys feature); undefined when no feature provides them. */
  decryptor: PasswordDecryptor | undefined;
  plainLogin: boolean;
}

/**
 * Step 2, credential: a password in clear or encrypted under a one-time key.
 * Every failure answers INVALID_CREDENTIALS whatever the cause (unknown user,
 * wrong password, undecryptable ciphertext, wrong user type) after the same
 * amount of hashing work, so the answer says nothing about which.
 */
export function passwordStep(d: PasswordStepDeps): LoginStep {
  async function resolve(flow: LoginFlow): Promise<string | null> {
    const input = flow.input;
    if (input.encryptedPassword !== undefined || input.keyId !== undefined) {
      if (!input.encryptedPassword || !input.keyId)
        fail('VALIDATION_FAILED', { detail: 'encryptedPassword and keyId go together' });
      const decryptor = d.decryptor;
      if (!decryptor) fail('KEY_NOT_FOUND');
      flow.method = 'rsa';
      const r = await decryptor.consume(input.keyId, input.encryptedPassword, {
        tenant: flow.attempt.tenant,
      });
      return r.ok ? r.password : null;
    }
    if (input.password === undefined)
      fail('VALIDATION_FAILED', { detail: 'password or encryptedPassword is required' });
    if (!d.plainLogin)
      fail('VALIDATION_FAILED', {
        detail: 'plain password login is disabled: use encryptedPassword',
      });
    return input.password;
  }

  return {
    name: 'password',
    stage: 'credential',
    async run(flow) {
      // An external identity is the credential of this login (steps/identity.ts).
      if (flow.identity) return;
      const password = await resolve(flow);
      const user = flow.user;
      let ok = false;
      let reason = 'unknown_user';
      if (user && password !== null) {
        ok = await d.hasher.verify(user.password_hash, password);
        reason = ok ? '' : 'bad_password';
      } else {
        await d.hasher.verifyDummy(password ?? '');
        if (user) reason = 'undecryptable';
      }
      if (ok && flow.input.user_type && user!.user_type !== flow.input.user_type) {
        ok = false;
        reason = 'user_type';
      }
      if (!ok || !user || password === null) return flow.refuse(reason);
      flow.password = password;
    },
  };
}
