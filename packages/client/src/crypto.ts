/**
 * Encrypted login with WebCrypto (browsers, Node ≥ 20): RSA-OAEP with SHA-256
 * and MGF1-SHA-256, what the server's login keys accept
 * (docs/decisions/0003-encrypted-login.md). The shared-key mode
 * (`?alg=RSA-OAEP-256`) names the UTF-8 key id as the OAEP label, which
 * binds a ciphertext to its key id.
 */

/** The `data` of `GET <ctx>/public/auth/public-key`. */
export interface PublicKey {
  key_id: string;
  /** SPKI PEM. */
  public_key: string;
  /** Epoch milliseconds. */
  expires_at: number;
  algorithm: 'RSA';
  paddings?: string[];
  /** Shared-key mode: the OAEP label to encrypt with (the key id). */
  label?: string;
}

function pemToDer(pem: string): Uint8Array<ArrayBuffer> {
  const b64 = pem.replace(/-----(BEGIN|END) [A-Z ]+-----/g, '').replace(/\s+/g, '');
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function toBase64(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

/** base64 of RSA-OAEP-256(password) under the key, with its label when it has one. */
export async function encryptPassword(key: PublicKey, password: string): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Error('WebCrypto (crypto.subtle) is not available: use a secure context');
  const k = await subtle.importKey(
    'spki',
    pemToDer(key.public_key),
    { name: 'RSA-OAEP', hash: 'SHA-256' },
    false,
    ['encrypt'],
  );
  const enc = new TextEncoder();
  const params: { name: 'RSA-OAEP'; label?: Uint8Array<ArrayBuffer> } = { name: 'RSA-OAEP' };
  if (key.label !== undefined) params.label = enc.encode(key.label);
  return toBase64(new Uint8Array(await subtle.encrypt(params, k, enc.encode(password))));
}
