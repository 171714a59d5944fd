import { fail } from '../lib/errors.js';

/** A provider's JSON answer, at most 256 KiB (a provider never makes memory unbounded). */
export async function readJson(res: Response): Promise<unknown> {
  const body = await res.text();
  if (body.length > 262_144) fail('OAUTH_PROVIDER_FAILED');
  try {
    return JSON.parse(body);
  } catch {
    fail('OAUTH_PROVIDER_FAILED');
  }
}
