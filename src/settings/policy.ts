import type { LoginPolicyMap, SessionPolicy } from '../config/login-policy.js';

// The grammar (parseLoginPolicy) lives with the config table, which checks TESSERA_LOGIN_POLICY at load.

export function policyFor(map: LoginPolicyMap, userType: string): SessionPolicy {
  return map.get(userType) ?? map.get('*') ?? 'multi';
}

export function formatLoginPolicy(map: LoginPolicyMap): string {
  return [...map].map(([k, v]) => `${k}=${v}`).join(',');
}
