/**
 * The longest an access token issued now can still be accepted: its TTL
 * (a dynamic setting) plus the clock-skew tolerance. Everything that must
 * outlive the tokens it concerns (a session or user revocation, a retired
 * signing key in the JWKS, a denylisted jti) is kept this long.
 */
export function accessTokenLifeMs(
  settings: { get(): { accessTokenTtl: number } },
  clockSkewSec: number,
): () => number {
  return () => (settings.get().accessTokenTtl + clockSkewSec) * 1000;
}
