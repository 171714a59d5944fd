import type { PairIssuer } from '../../tokens/pair.js';
import type { UserService } from '../../users/service.js';
import type { LoginStep } from '../pipeline.js';

/** Step 5, tokens: the access token of the new session, paired with its refresh token. */
export function tokensStep(d: { users: UserService; issuePair: PairIssuer }): LoginStep {
  return {
    name: 'tokens',
    stage: 'tokens',
    async run(flow) {
      const user = flow.user!;
      const roles = await d.users.roles(user.id);
      const pair = await d.issuePair(
        user,
        roles,
        flow.session!,
        flow.refreshToken!,
        flow.refreshExp!,
      );
      flow.result = { ...pair, user, roles };
    },
  };
}
