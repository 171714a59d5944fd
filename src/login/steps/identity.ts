import type { IdentityService } from '../../identities/service.js';
import { isTesseraError } from '../../lib/errors.js';
import type { LoginStep } from '../pipeline.js';

/**
 * Step 2, credential, for a login by an external identity (WeChat, an OAuth
 * provider): its provider already proved it (the caller exchanged the code),
 * so the step finds the user it belongs to, or creates one when the caller
 * allows (the answer's `new_user` says which). A refusal (no user and no creation, a wrong user type) goes through
 * flow.refuse like a wrong password: counted by the brute-force ladder, audited.
 */
export function identityStep(d: { identities: IdentityService }): LoginStep {
  return {
    name: 'identity',
    stage: 'credential',
    async run(flow) {
      const proof = flow.identity;
      if (!proof) return;
      let found;
      try {
        found = await d.identities.resolveOrCreate(proof.profile, {
          create: proof.create,
          userType: flow.input.user_type,
        });
      } catch (e) {
        if (isTesseraError(e) && e.code === 'INVALID_CREDENTIALS')
          return flow.refuse('unknown_identity');
        throw e;
      }
      if (flow.input.user_type && found.user.user_type !== flow.input.user_type) {
        flow.user = found.user;
        return flow.refuse('user_type');
      }
      flow.user = found.user;
      // The answer tells a client its user is new (to ask for a profile, say).
      flow.answer = { ...flow.answer, new_user: found.created };
    },
  };
}
