import { DEFAULT_TENANT } from '../db/scope.js';
import type { Unit } from '../db/unit.js';
import type { Core, TenantCore } from '../feature/contract.js';
import { fail, isTesseraError } from '../lib/errors.js';
import type { LoginFlow, LoginStep } from '../login/pipeline.js';
import type { MfaService } from './service.js';
import { SECOND_FACTOR_STEP } from './step-name.js';
import type { TicketRow } from './store.js';

const METHODS = ['totp', 'recovery_code'];

/**
 * The second-factor stage of the login pipeline (after the password and the
 * account's state were accepted):
 *  - a user with an active factor and no code: 401 MFA_REQUIRED with a ticket;
 *  - a code in the login (`mfa_code`) or a resumed login (`/mfa/verify`):
 *    checked, used once; a wrong one is a refused attempt (flow.refuse: the
 *    brute-force ladder counts it like a wrong password) and counts against
 *    the ticket, which dies at the fifth;
 *  - a user who must have a factor and has none: 401 MFA_ENROLL_REQUIRED with
 *    an enrolment ticket; the login completes when the factor is confirmed.
 */
export function secondFactorStep(core: Core, mfa: MfaService): LoginStep {
  async function refused(
    flow: LoginFlow,
    tc: TenantCore,
    e: unknown,
    ticket?: TicketRow,
  ): Promise<never> {
    if (!isTesseraError(e) || (e.code !== 'MFA_INVALID' && e.code !== 'MFA_CODE_REUSED')) throw e;
    const failures = ticket ? await mfa.storeOf(tc.tenant).ticketFailed(ticket.id_hash) : undefined;
    tc.audit.record({
      ...flow.facts,
      event: 'mfa.failure',
      outcome: 'failure',
      userId: flow.user!.id,
      reason: e.code,
      data: failures === undefined ? null : { ticket_failures: failures },
    });
    return flow.refuse(e.code === 'MFA_INVALID' ? 'mfa_invalid' : 'mfa_code_reused', e.code);
  }

  async function challenge(flow: LoginFlow, tc: TenantCore, kind: TicketRow['kind']) {
    const user = flow.user!;
    const { ticket, expiresIn } = await mfa.issueTicket(tc.tenant, {
      user_id: user.id,
      kind,
      username: flow.input.username,
      user_type: flow.input.user_type ?? null,
      method: flow.method,
      device_id: flow.meta.deviceId ?? null,
      device_name: flow.meta.deviceName ?? null,
    });
    const code = kind === 'login' ? 'MFA_REQUIRED' : 'MFA_ENROLL_REQUIRED';
    tc.audit.record({
      ...flow.facts,
      event: 'mfa.challenge',
      outcome: 'info',
      userId: user.id,
      reason: code,
    });
    fail(code, {
      data: {
        mfa_ticket: ticket,
        methods: kind === 'login' ? METHODS : ['totp'],
        expires_in: expiresIn,
      },
    });
  }

  return {
    name: SECOND_FACTOR_STEP,
    stage: 'second-factor',
    async run(flow) {
      const user = flow.user!;
      const tc = await core.tenantCore(flow.attempt.tenant ?? DEFAULT_TENANT);
      const store = mfa.storeOf(tc.tenant);
      // An empty field (a form sent as it was) is no code.
      const code = flow.input.mfa_code === '' ? undefined : flow.input.mfa_code;
      const facts = flow.facts;
      const c = flow.continuation?.by === SECOND_FACTOR_STEP ? flow.continuation : undefined;
      if (c) {
        const ticket = await store.liveTicket(c.ref, core.clock.now());
        if (!ticket || ticket.user_id !== user.id || code === undefined) fail('MFA_TICKET_INVALID');
        const consume = async (u: Unit) => {
          if (!(await store.consumeTicket(ticket.id_hash, core.clock.now(), u.tx)))
            fail('MFA_TICKET_INVALID');
        };
        try {
          if (ticket.kind === 'login') {
            flow.secondFactor = await mfa.proveCode(tc, user, code, facts, consume);
          } else {
            const codes = await mfa.activate(tc, user, code, facts, consume);
            flow.secondFactor = 'totp';
            flow.answer = { recovery_codes: codes };
          }
        } catch (e) {
          return refused(flow, tc, e, ticket);
        }
        return;
      }
      const factor = await store.factor(user.id);
      if (factor?.status === 'active') {
        if (code === undefined) return challenge(flow, tc, 'login');
        try {
          flow.secondFactor = await mfa.proveCode(tc, user, code, facts);
        } catch (e) {
          return refused(flow, tc, e);
        }
        return;
      }
      if (await mfa.required(tc, user)) return challenge(flow, tc, 'enroll');
    },
  };
}
