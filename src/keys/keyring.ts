import {
  createHash,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  generateKeyPair,
  type JsonWebKey as CryptoJwk,
  type KeyObject,
} from 'node:crypto';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { Bus } from '../bus/bus.js';
import type { Clock } from '../lib/clock.js';
import type { Sealer } from '../lib/seal.js';
import type { KeyStore } from './store.js';

export type SigningAlg = 'RS256' | 'ES256' | 'EdDSA' | 'HS256';

export interface SigningKey {
  kid: string;
  alg: SigningAlg;
  /** Signs (private key, or the HMAC secret). Absent for keys this node only verifies. */
  signKey?: KeyObject;
  /** Verifies (public key, or the HMAC secret). */
  verifyKey: KeyObject;
  publicJwk?: JWK;
  createdAt: number;
  /** When the key leaves the JWKS and stops verifying; null while active. */
  expiresAt: number | null;
}

export interface KeyringOptions {
  /** A reload after a broadcast or a resync failed: logged and counted by the caller. */
  onError?: (e: unknown) => void;
  alg: SigningAlg;
  privateKeyFile?: string | undefined;
  /** Seals private keys at rest (decision 0011). */
  sealer: Sealer;
  secret?: string | undefined;
  store: KeyStore;
  bus: Bus;
  clock: Clock;
  /** Longest lifetime of a token signed now, in ms: a retired key verifies that long. */
  maxTokenLifetimeMs: () => number;
}

const generate = promisify(generateKeyPair);
const CHANNEL = 'keys';

async function newKeyPair(
  alg: Exclude<SigningAlg, 'HS256'>,
): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  if (alg === 'RS256') return generate('rsa', { modulusLength: 2048 });
  if (alg === 'ES256') return generate('ec', { namedCurve: 'P-256' });
  return generate('ed25519');
}

function algOfKey(key: KeyObject): Exclude<SigningAlg, 'HS256'> {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1')
    return 'ES256';
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  throw new Error(
    'TESSERA_JWT_PRIVATE_KEY_FILE: unsupported key type (use RSA ≥ 2048 bits, EC P-256 or Ed25519) (example: openssl genpkey -algorithm ed25519)',
  );
}

async function publicJwkOf(
  publicKey: KeyObject,
  alg: SigningAlg,
  kid?: string,
): Promise<JWK & { kid: string }> {
  const jwk = publicKey.export({ format: 'jwk' }) as JWK;
  const id = kid ?? (await calculateJwkThumbprint(jwk, 'sha256'));
  return { ...jwk, kid: id, alg, use: 'sig' };
}

/**
 * The signing keys. Generated keys live in SQL (so every node signs and
 * verifies with the same set); an operator may instead supply a PEM file or
 * an HS256 secret. One key signs; retired keys keep verifying until every
 * token they signed has expired, and stay in the JWKS until then.
 */
/** The additional data a private key is sealed with: its row (infra/sealing.ts SEALED_COLUMNS). */
const privateAad = (kid: string) => `signing_keys:${kid}`;

export function createKeyring(opts: KeyringOptions) {
  const { store, clock } = opts;
  let keys = new Map<string, SigningKey>();
  let active: SigningKey | undefined;
  const listeners = new Set<() => void>();
  let lastReload = 0;

  function setKeys(list: SigningKey[]): void {
    const now = clock.now();
    const live = list.filter((k) => k.expiresAt === null || k.expiresAt > now);
    const before = new Set(keys.keys());
    keys = new Map(live.map((k) => [k.kid, k]));
    active = live
      .filter((k) => k.signKey && k.expiresAt === null)
      .sort((a, b) => b.createdAt - a.createdAt || (a.kid < b.kid ? 1 : -1))[0];
    // A withdrawn key must not keep verifying through caches.
    if ([...before].some((kid) => !keys.has(kid))) for (const l of listeners) l();
  }

  async function loadStored(): Promise<SigningKey[]> {
    const rows = await store.all();
    return rows.map((r) => {
      const pub = JSON.parse(r.public_jwk) as JWK;
      return {
        kid: r.kid,
        alg: r.alg as SigningAlg,
        verifyKey: createPublicKey({ key: pub as CryptoJwk, format: 'jwk' }),
        ...(r.private_jwk
          ? {
              signKey: createPrivateKey({
                key: JSON.parse(opts.sealer.open(r.private_jwk, privateAad(r.kid))) as CryptoJwk,
                format: 'jwk',
              }),
            }
          : {}),
        publicJwk: pub,
        createdAt: r.created_at,
        expiresAt: r.retired_at === null ? null : r.expires_at,
      };
    });
  }

  async function reload(): Promise<void> {
    lastReload = clock.now();
    if (opts.alg === 'HS256' || opts.privateKeyFile) {
      const stored = (await loadStored()).filter((k) => k.expiresAt !== null);
      setKeys([await configuredKey(), ...stored.filter((k) => !k.signKey || k.alg === opts.alg)]);
      return;
    }
    setKeys((await loadStored()).filter((k) => k.alg === opts.alg || k.expiresAt !== null));
  }

  async function configuredKey(): Promise<SigningKey> {
    if (opts.alg === 'HS256') {
      const secret = createSecretKey(Buffer.from(opts.secret ?? '', 'utf8'));
      const kid = `hs-${createHash('sha256')
        .update(opts.secret ?? '')
        .digest('base64url')
        .slice(0, 12)}`;
      return {
        kid,
        alg: 'HS256',
        signKey: secret,
        verifyKey: secret,
        createdAt: 0,
        expiresAt: null,
      };
    }
    const pem = readFileSync(opts.privateKeyFile!, 'utf8');
    const priv = createPrivateKey(pem);
    const alg = algOfKey(priv);
    if (alg === 'RS256' && (priv.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
      throw new Error(
        'TESSERA_JWT_PRIVATE_KEY_FILE: RSA keys must be at least 2048 bits (example: openssl genpkey -algorithm rsa -pkeyopt rsa_keygen_bits:2048)',
      );
    }
    const pub = createPublicKey(priv);
    const jwk = await publicJwkOf(pub, alg);
    return {
      kid: jwk.kid,
      alg,
      signKey: priv,
      verifyKey: pub,
      publicJwk: jwk,
      createdAt: 0,
      expiresAt: null,
    };
  }

  async function generateAndStore(): Promise<string> {
    const alg = opts.alg as Exclude<SigningAlg, 'HS256'>;
    const { privateKey, publicKey } = await newKeyPair(alg);
    const pub = await publicJwkOf(publicKey, alg);
    const priv = { ...(privateKey.export({ format: 'jwk' }) as JWK), kid: pub.kid, alg };
    await store.insert({
      kid: pub.kid,
      alg,
      private_jwk: opts.sealer.seal(JSON.stringify(priv), privateAad(pub.kid)),
      public_jwk: JSON.stringify(pub),
      status: 'active',
      created_at: clock.now(),
      retired_at: null,
      expires_at: null,
    });
    return pub.kid;
  }

  return {
    async start(): Promise<void> {
      await reload();
      if (!active && opts.alg !== 'HS256' && !opts.privateKeyFile) {
        await generateAndStore();
        await reload();
      }
      if (!active) throw new Error('no signing key available');
      opts.bus.subscribe(CHANNEL, () => void reload().catch((e: unknown) => opts.onError?.(e)));
      opts.bus.onResync(() => void reload().catch((e: unknown) => opts.onError?.(e)));
    },
    /** The key that signs new tokens. */
    active(): SigningKey {
      if (!active) throw new Error('keyring not started');
      return active;
    },
    get: (kid: string): SigningKey | undefined => keys.get(kid),
    /**
     * A kid this node does not know may have been rotated in by another node
     * or the CLI: reload from SQL, at most once a second.
     */
    async lookupFresh(kid: string): Promise<SigningKey | undefined> {
      if (!keys.has(kid) && clock.now() - lastReload > 1000) await reload();
      return keys.get(kid);
    },
    /** Public keys of every key that can still verify a live token (RFC 7517). */
    jwks(): { keys: JWK[] } {
      return { keys: [...keys.values()].filter((k) => k.publicJwk).map((k) => k.publicJwk!) };
    },
    list(): SigningKey[] {
      return [...keys.values()];
    },
    /** A new active key; the old ones retire and verify until their last token expires. */
    async rotate(): Promise<string> {
      if (opts.alg === 'HS256' || opts.privateKeyFile) {
        throw new Error(
          'keys are supplied by configuration (TESSERA_JWT_SECRET / TESSERA_JWT_PRIVATE_KEY_FILE): rotate them there',
        );
      }
      const now = clock.now();
      const kid = await generateAndStore();
      await store.retireAllExcept(kid, now, now + opts.maxTokenLifetimeMs());
      await reload();
      await opts.bus.publish(CHANNEL, { rotated: kid });
      return kid;
    },
    onWithdraw(fn: () => void): () => void {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    reload,
  };
}

export type Keyring = ReturnType<typeof createKeyring>;
