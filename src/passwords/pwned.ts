import { createHash } from 'node:crypto';

/** A k-anonymity breached-password check (Pwned Passwords' range API). */
export type PwnedCheck = (password: string) => Promise<'breached' | 'clean' | 'unknown'>;

/** A range answer is about 35 bytes a line and under 2,000 lines; more is not a range answer. */
const MAX_BODY_BYTES = 1 << 20;

/**
 * `GET <base>/range/<first 5 hex of SHA-1>`: only the prefix leaves the
 * process, the server answers every suffix it knows with that prefix
 * (`SUFFIX:COUNT` lines; padding lines have count 0), and the match is made
 * here. With `Add-Padding`, the answer's size does not tell the prefix either.
 * Any failure (timeout, refused connection, bad status, oversized answer) is
 * `unknown`: the caller lets the password through (fail open), so an outage
 * of the range service never blocks a registration.
 */
export function createPwnedCheck(o: {
  baseUrl: string;
  timeoutMs: number;
  onError?: (e: unknown) => void;
}): PwnedCheck {
  const base = o.baseUrl.replace(/\/+$/, '');
  return async (password) => {
    const sha1 = createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();
    const prefix = sha1.slice(0, 5);
    const suffix = sha1.slice(5);
    try {
      const res = await fetch(`${base}/range/${prefix}`, {
        headers: { 'add-padding': 'true', accept: 'text/plain' },
        signal: AbortSignal.timeout(o.timeoutMs),
      });
      if (res.status !== 200 || !res.body) {
        await res.body?.cancel();
        throw new Error(`range answer ${res.status}`);
      }
      const text = await readCapped(res.body, MAX_BODY_BYTES);
      for (const line of text.split('\n')) {
        const [s = '', n = '0'] = line.trim().split(':');
        if (s.toUpperCase() === suffix && Number(n) > 0) return 'breached';
      }
      return 'clean';
    } catch (e) {
      o.onError?.(e);
      return 'unknown';
    }
  };
}

async function readCapped(body: ReadableStream<Uint8Array>, max: number): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > max) throw new Error('range answer too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
