/**
 * The login-key service consuming keys, on every store: decryption of both
 * paddings, one use per key (replay, expiry, unknown ids, concurrent consumes,
 * garbage), the shared OAEP mode and its rotation, and keys crossing instances.
 */
import { expect, it } from 'vitest';
import { isTesseraError } from '../lib/errors.js';
import { ManualClock } from '../lib/clock.js';
import { jsencrypt, randomB64, webcryptoOaep } from './clients.test.js';
import { errorOf, onEveryStore, useFixturePairs } from './service.test-support.js';

const pairs = useFixturePairs();

onEveryStore(pairs, ({ make, ip }) => {
  it('decrypts a jsencrypt (PKCS#1 v1.5) password, the seed-001 client, incl. non-ASCII and emoji', async () => {
    const { svc } = await make();
    for (const pw of ['correct horse', 'pässwörd€', '密码🙂x']) {
      const k = await svc.issue({ ip: ip() });
      expect(k).toMatchObject({ algorithm: 'RSA', paddings: ['RSA1_5', 'RSA-OAEP-256'] });
      expect(k.public_key).toMatch(/^-----BEGIN PUBLIC KEY-----/);
      expect(k.expires_at).toBe(new ManualClock().now() + 300_000);
      expect(await svc.consume(k.key_id, jsencrypt(k.public_key, pw))).toEqual({
        ok: true,
        password: pw,
      });
    }
  });

  it('decrypts a WebCrypto RSA-OAEP-256 password on a one-time key', async () => {
    const { svc } = await make();
    const k = await svc.issue({ ip: ip() });
    expect(await svc.consume(k.key_id, await webcryptoOaep(k.public_key, 'pw-oaep'))).toEqual({
      ok: true,
      password: 'pw-oaep',
    });
  });

  it('replay of the same ciphertext and key id answers KEY_NOT_FOUND', async () => {
    const { svc } = await make();
    const k = await svc.issue({ ip: ip() });
    const ct = jsencrypt(k.public_key, 'pw');
    expect((await svc.consume(k.key_id, ct)).ok).toBe(true);
    expect(await errorOf(svc.consume(k.key_id, ct))).toMatchObject({
      code: 'KEY_NOT_FOUND',
      status: 401,
    });
  });

  it('an expired key answers KEY_EXPIRED, and is gone afterwards', async () => {
    const { svc, clock } = await make();
    const k = await svc.issue({ ip: ip() });
    const ct = jsencrypt(k.public_key, 'pw');
    clock.advance(300_000);
    expect(await errorOf(svc.consume(k.key_id, ct))).toMatchObject({
      code: 'KEY_EXPIRED',
      status: 401,
    });
    expect((await errorOf(svc.consume(k.key_id, ct))).code).toBe('KEY_NOT_FOUND');
  });

  it('unknown and malformed key ids answer KEY_NOT_FOUND', async () => {
    const { svc } = await make();
    for (const id of [
      'AAAAAAAAAAAAAAAAAAAAAAAA',
      'session_abc123_1641895200000',
      '',
      'x'.repeat(500),
      '../../etc',
    ]) {
      expect((await errorOf(svc.consume(id, randomB64(256)))).code).toBe('KEY_NOT_FOUND');
    }
  });

  it('50 concurrent consumes of one key: exactly one decryption (two instances when the store is shared)', async () => {
    const clock = new ManualClock();
    const { svc: a } = await make({ clock });
    const { svc: b } = await make({ clock, second: true });
    const k = await a.issue({ ip: ip() });
    const ct = jsencrypt(k.public_key, 'race');
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).consume(k.key_id, ct)),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    expect(ok).toHaveLength(1);
    expect(ok[0]).toMatchObject({ value: { ok: true, password: 'race' } });
    for (const r of results)
      if (r.status === 'rejected')
        expect(isTesseraError(r.reason) && r.reason.code).toBe('KEY_NOT_FOUND');
    const decryptions = [a, b]
      .map((s) => s.stats().consumed)
      .reduce((t, c) => t + c.ok + c.undecryptable, 0);
    expect(decryptions).toBe(1);
  });

  it('garbage or wrong ciphertexts are { ok: false } (never a throw) and burn the key', async () => {
    const { svc } = await make();
    const other = pairs()[5]?.publicKeyPem ?? '';
    const bad = [
      'not base64 !!',
      '',
      randomB64(255),
      randomB64(257),
      randomB64(256),
      Buffer.alloc(256, 0xff).toString('base64'), // >= n
      jsencrypt(other, 'pw'), // another key
      'A'.repeat(5000),
    ];
    for (const ct of bad) {
      const k = await svc.issue({ ip: ip() });
      expect(await svc.consume(k.key_id, ct)).toEqual({ ok: false });
      expect((await errorOf(svc.consume(k.key_id, jsencrypt(k.public_key, 'pw')))).code).toBe(
        'KEY_NOT_FOUND',
      );
    }
    expect(svc.stats().consumed.undecryptable).toBe(bad.length);
  });

  it('shared OAEP mode: label = key id, replay under another key id fails, no PKCS#1 v1.5', async () => {
    const { svc } = await make();
    const k1 = await svc.issue({ ip: ip(), alg: 'RSA-OAEP-256' });
    const k2 = await svc.issue({ ip: ip(), alg: 'RSA-OAEP-256' });
    expect(k1).toMatchObject({ paddings: ['RSA-OAEP-256'], label: k1.key_id });
    expect(k2.public_key).toBe(k1.public_key); // one pair, many key ids
    const ct1 = await webcryptoOaep(k1.public_key, 'pw1', k1.label);
    expect(await svc.consume(k2.key_id, ct1)).toEqual({ ok: false }); // captured ct under a fresh key id
    expect(await svc.consume(k1.key_id, ct1)).toEqual({ ok: true, password: 'pw1' });
    expect((await errorOf(svc.consume(k1.key_id, ct1))).code).toBe('KEY_NOT_FOUND');
    const k3 = await svc.issue({ ip: ip(), alg: 'RSA-OAEP-256' });
    expect(await svc.consume(k3.key_id, jsencrypt(k3.public_key, 'pw'))).toEqual({ ok: false });
    const k4 = await svc.issue({ ip: ip(), alg: 'RSA-OAEP-256' });
    expect(await svc.consume(k4.key_id, await webcryptoOaep(k4.public_key, 'pw'))).toEqual({
      ok: false,
    }); // no label
    expect(svc.stats().pool.taken).toBeGreaterThanOrEqual(1);
  });

  it('shared OAEP mode rotates the pair after the rotation period', async () => {
    const { svc, clock } = await make({ sharedRotateSeconds: 10 });
    const k1 = await svc.issue({ ip: ip(), alg: 'RSA-OAEP-256' });
    clock.advance(10_000);
    const k2 = await svc.issue({ ip: ip(), alg: 'RSA-OAEP-256' });
    expect(k2.public_key).not.toBe(k1.public_key);
    // A key id issued under the old pair still works until it expires.
    expect(
      await svc.consume(k1.key_id, await webcryptoOaep(k1.public_key, 'old', k1.key_id)),
    ).toEqual({ ok: true, password: 'old' });
  });

  it('a key issued by one instance is consumed by another sharing the store (both modes)', async () => {
    const clock = new ManualClock();
    const { svc: a } = await make({ clock });
    const { svc: b } = await make({ clock, second: true });
    const k = await a.issue({ ip: ip(), sessionId: 's-cross' });
    expect(await b.consume(k.key_id, jsencrypt(k.public_key, 'x'))).toEqual({
      ok: true,
      password: 'x',
    });
    const s = await a.issue({ ip: ip(), alg: 'RSA-OAEP-256' });
    expect(await b.consume(s.key_id, await webcryptoOaep(s.public_key, 'y', s.key_id))).toEqual({
      ok: true,
      password: 'y',
    });
  });
});
