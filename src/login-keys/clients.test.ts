import {
  createPrivateKey,
  generateKeyPairSync,
  privateDecrypt,
  constants,
  randomBytes,
  type webcrypto,
} from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { KeyPairGenerator, KeyPairMaterial } from './pool.js';

/**
 * Test clients and fixtures, shared by the login-keys test files (a .test.ts
 * file so the build leaves it out; its own tests check the clients). Clients
 * are the real ones: the `jsencrypt` package the seed-001 AuthService
 * uses, and WebCrypto.
 */

interface JSEncryptInstance {
  setPublicKey(pem: string): void;
  encrypt(text: string): string | false;
}
type JSEncryptCtor = new () => JSEncryptInstance;

// jsencrypt's ESM build (lib/) uses extensionless imports that Node's ESM
// loader rejects; its UMD build (bin/) loads through require. Without
// `window` it seeds its RNG from Math.random (fine for tests, no polyfill).
const JSEncrypt = createRequire(import.meta.url)('jsencrypt') as JSEncryptCtor;

/** What the seed client does: PKCS#1 v1.5 via jsencrypt, base64. */
export function jsencrypt(publicKeyPem: string, password: string): string {
  const e = new JSEncrypt();
  e.setPublicKey(publicKeyPem);
  const out = e.encrypt(password);
  if (out === false) throw new Error('jsencrypt failed');
  return out;
}

/** A browser-style client: WebCrypto RSA-OAEP (SHA-256), optional label. */
export async function webcryptoOaep(
  publicKeyPem: string,
  password: string,
  label?: string,
): Promise<string> {
  const der = Buffer.from(publicKeyPem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
  const key = await globalThis.crypto.subtle.importKey(
    'spki',
    der,
    { name: 'RSA-OAEP', hash: 'SHA-256' },
    false,
    ['encrypt'],
  );
  const params: webcrypto.RsaOaepParams = { name: 'RSA-OAEP' };
  if (label !== undefined) params.label = new TextEncoder().encode(label);
  const ct = await globalThis.crypto.subtle.encrypt(
    params,
    key,
    new TextEncoder().encode(password),
  );
  return Buffer.from(ct).toString('base64');
}

/** A few real 2048-bit pairs, generated once per test file (~0.2 s each). */
export function fixturePairs(count: number): KeyPairMaterial[] {
  return Array.from({ length: count }, () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'der' },
    });
    return { publicKeyPem: publicKey, privateKeyDer: privateKey };
  });
}

/**
 * A generator that hands out the fixtures in turn (copies: the service wipes
 * private keys after use), failing after `limit` pairs if given.
 */
export function cyclingGenerator(
  pairs: KeyPairMaterial[],
  limit = Infinity,
): KeyPairGenerator & { calls: number } {
  let i = 0;
  const gen = Object.assign(
    async (): Promise<KeyPairMaterial> => {
      gen.calls++;
      if (i >= limit) throw new Error('generator exhausted (test)');
      const p = pairs[i++ % pairs.length];
      if (!p) throw new Error('no fixtures');
      return { publicKeyPem: p.publicKeyPem, privateKeyDer: Buffer.from(p.privateKeyDer) };
    },
    { calls: 0 },
  );
  return gen;
}

export const randomB64 = (n: number): string => randomBytes(n).toString('base64');

// Registered only when this file is the one under test, not when service.test.ts imports the helpers.
if (expect.getState().testPath?.endsWith('clients.test.ts') ?? true) describeClients();

function describeClients(): void {
  describe('test clients', () => {
    it('jsencrypt loads and encrypts in Node 20 without window (PKCS#1 v1.5, full-length output)', () => {
      const [p] = fixturePairs(1);
      if (!p) throw new Error('fixture');
      const ct = Buffer.from(jsencrypt(p.publicKeyPem, 'pässwörd'), 'base64');
      expect(ct.length).toBe(256);
      const em = privateDecrypt(
        {
          key: createPrivateKey({ key: p.privateKeyDer, format: 'der', type: 'pkcs8' }),
          padding: constants.RSA_NO_PADDING,
        },
        ct,
      );
      expect([em[0], em[1]]).toEqual([0, 2]);
      expect(em.subarray(em.length - 10).toString('utf8')).toBe('pässwörd');
    });
  });
}
