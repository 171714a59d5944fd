/**
 * The syntax of TESSERA_LOGIN_POLICY and of the `loginPolicy` setting: seed 000/004 "one login
 * per user" vs seed 002 "ten per user", a policy per user type. Here, on the config floor, so
 * the value is checked when the configuration is read (src/config/checks.ts), not at first use.
 */
export type SessionPolicy = 'multi' | 'single' | 'reject';
export type LoginPolicyMap = ReadonlyMap<string, SessionPolicy>;

const POLICIES: readonly SessionPolicy[] = ['multi', 'single', 'reject'];

/** Parses `kefu=single,*=multi`. Returns an error text instead of throwing. */
export function parseLoginPolicy(text: string): LoginPolicyMap | string {
  const map = new Map<string, SessionPolicy>();
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [type, policy, extra] = part.split('=').map((s) => s.trim());
    if (!type || !policy || extra !== undefined || !/^(\*|[a-z][a-z0-9_-]{0,31})$/.test(type)) {
      return `"${part}" is not <user_type>=<policy>`;
    }
    if (!POLICIES.includes(policy as SessionPolicy))
      return `"${policy}" is not one of ${POLICIES.join(', ')}`;
    map.set(type, policy as SessionPolicy);
  }
  if (!map.has('*')) map.set('*', 'multi');
  return map;
}
