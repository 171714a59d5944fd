import {
  constants,
  createPrivateKey,
  generateKeyPairSync,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
} from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { unpadEither, unpadOaepSha256, unpadPkcs1 } from './padding.js';
import { decodePassword, parseCiphertext } from './rsa.js';

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const raw = (ct: Buffer): Buffer =>
  privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, ct);

/** A PKCS#1 v1.5 block `00 02 PS 00 M` with `psLen` non-zero bytes of padding. */
function pkcs1Block(msg: Buffer, psLen: number): Buffer {
  const k = 256;
  const b = Buffer.alloc(k);
  b[1] = 2;
  for (let i = 2; i < 2 + psLen; i++) b[i] = 1 + (i % 255);
  msg.copy(b, k - msg.length);
  return b;
}

describe('padding', () => {
  it('decodes what OpenSSL encodes (PKCS#1 v1.5 and OAEP-SHA-256)', () => {
    const m = Buffer.from('hunter2 🙂');
    const em1 = raw(publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, m));
    const em2 = raw(
      publicEncrypt(
        { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
        m,
      ),
    );
    expect(unpadPkcs1(em1).good).toBe(1);
    expect(unpadOaepSha256(em1).good).toBe(0);
    expect(unpadOaepSha256(em2).good).toBe(1);
    expect(unpadPkcs1(em2).good).toBe(0);
    expect(unpadEither(em1)?.toString()).toBe('hunter2 🙂');
    expect(unpadEither(em2)?.toString()).toBe('hunter2 🙂');
  });

  it('rejects malformed PKCS#1 v1.5 blocks', () => {
    const m = Buffer.from('pw');
    expect(unpadPkcs1(pkcs1Block(m, 250)).good).toBe(1);
    const min = unpadPkcs1(pkcs1Block(Buffer.alloc(245, 0x41), 8)); // minimum PS length
    expect(min).toEqual({ good: 1, start: 11 });
    expect(unpadPkcs1(pkcs1Block(Buffer.alloc(246, 0x41), 7)).good).toBe(0); // PS too short
    const wrongType = pkcs1Block(m, 250);
    wrongType[1] = 1;
    expect(unpadPkcs1(wrongType).good).toBe(0);
    const lead = pkcs1Block(m, 250);
    lead[0] = 1;
    expect(unpadPkcs1(lead).good).toBe(0);
    const noSep = Buffer.alloc(256, 7);
    noSep[0] = 0;
    noSep[1] = 2;
    expect(unpadPkcs1(noSep).good).toBe(0);
    expect(unpadEither(randomBytes(256))).toBeUndefined();
  });

  it('rejects OAEP with another label or hash', () => {
    const m = Buffer.from('pw');
    const labelled = raw(
      publicEncrypt(
        {
          key: publicKey,
          padding: constants.RSA_PKCS1_OAEP_PADDING,
          oaepHash: 'sha256',
          oaepLabel: Buffer.from('x'),
        },
        m,
      ),
    );
    const sha1 = raw(
      publicEncrypt(
        { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
        m,
      ),
    );
    expect(unpadOaepSha256(labelled).good).toBe(0);
    expect(unpadOaepSha256(sha1).good).toBe(0);
  });

  it('parses strict base64 of the modulus length only', () => {
    const ct = randomBytes(256);
    expect(parseCiphertext(ct.toString('base64'), 256)).toEqual(ct);
    expect(parseCiphertext(ct.toString('base64url'), 256)).toEqual(ct);
    expect(parseCiphertext(ct.subarray(1).toString('base64'), 256)).toBeUndefined();
    expect(parseCiphertext(`${ct.toString('base64')}\n`, 256)).toBeUndefined();
    expect(parseCiphertext(42, 256)).toBeUndefined();
  });

  it('decodes UTF-8, and CESU-8 from jsencrypt, and nothing else', () => {
    expect(decodePassword(Buffer.from('pässwörd'))).toBe('pässwörd');
    // jsencrypt encodes 🙂 (U+1F642 = D83D DE42) as two 3-byte surrogates.
    expect(decodePassword(Buffer.from([0x61, 0xed, 0xa0, 0xbd, 0xed, 0xb9, 0x82]))).toBe('a🙂');
    expect(decodePassword(Buffer.from([0x61, 0xed, 0xa0, 0xbd]))).toBeUndefined(); // lone surrogate
    expect(decodePassword(Buffer.from([0xff, 0x61]))).toBeUndefined();
    expect(decodePassword(Buffer.from([0xc0, 0x80]))).toBeUndefined(); // overlong
    const b = Buffer.from('secret');
    decodePassword(b);
    expect(b.every((x) => x === 0)).toBe(true);
  });

  it('the one-time path accepts what Node cannot decrypt itself (RSA_PKCS1_PADDING is refused)', () => {
    const ct = publicEncrypt(
      { key: publicKey, padding: constants.RSA_PKCS1_PADDING },
      Buffer.from('pw'),
    );
    expect(() =>
      privateDecrypt(
        {
          key: createPrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' })),
          padding: constants.RSA_PKCS1_PADDING,
        },
        ct,
      ),
    ).toThrow();
  });
});
