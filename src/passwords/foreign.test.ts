import { hash as bcryptHash } from '@node-rs/bcrypt';
import { hash as argonHash } from '@node-rs/argon2';
import { describe, expect, it } from 'vitest';
import { createPasswordHasher, hashFamily } from './hasher.js';

/**
 * Hashes other systems store, each verified by the hasher. The passlib strings
 * are the examples of passlib's documentation; the Django, Werkzeug and Node
 * strings were made with Python's hashlib (an implementation apart from Node's).
 * @see issue 17 §4
 */
const VECTORS: [string, string, string][] = [
  [
    'passlib pbkdf2-sha256',
    '$pbkdf2-sha256$6400$0ZrzXitFSGltTQnBWOsdAw$Y11AchqV4b0sUisdZd0Xr97KWoymNE0LNNrnEgY4H9M',
    'password',
  ],
  [
    'passlib pbkdf2-sha256 (10-byte salt)',
    '$pbkdf2-sha256$8000$XAuBMIYQQogxRg$tRRlz8hYn63B9LYiCd6PRo6FMiunY9ozmMMI3srxeRE',
    'password',
  ],
  [
    'passlib pbkdf2-sha256 (29000)',
    '$pbkdf2-sha256$29000$N2YMIWQsBWBMae09x1jrPQ$1t8iyB2A.WF/Z5JZv.lfCIhXXN33N23OSgQYThBYRfk',
    'toomanysecrets',
  ],
  [
    'passlib scrypt ln=8',
    '$scrypt$ln=8,r=8,p=1$WKs1xljLudd6z9kbY0wpJQ$yCR4iDZYDKv+iEJj6yHY0lv/epnfB6f/w1EbXrsJOuQ',
    'password',
  ],
  [
    'passlib scrypt ln=16 (64 MiB)',
    '$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E',
    'password',
  ],
  [
    'Django pbkdf2_sha256',
    'pbkdf2_sha256$1000$seasalt$YIWkt6M1JFXrHg5s0jZjBSc7C2Cz6QvchSJ0h8Y+i7c=',
    'password',
  ],
  ['Django pbkdf2_sha1', 'pbkdf2_sha1$1000$seasalt$C8KvRfPW529R7JpDHEDOP35Xr0g=', 'password'],
  [
    'pbkdf2_sha512',
    'pbkdf2_sha512$1000$seasalt$TCtBOEq+xXm+XNZRLfJoHDneh4iBM8b625BLGQLietyIGZ27aNH0oiYQ1uvtIKO2f60DdYIkgYbHnIAbnk1sWw==',
    'password',
  ],
  [
    'Werkzeug pbkdf2',
    'pbkdf2:sha256:600000$rOkWzK0tLRoCcsTz$1a32027761e87ba498c89876598147473dc032e3edcdc1da5fb9db8d3e2f85d5',
    'password',
  ],
  [
    'Werkzeug scrypt',
    'scrypt:32768:8:1$Ae7rY2nM0pQ8sV1x$2820744b59ca340041d57abfd35234ce9bbe31fed911e5f4e342b4e18461dbfe8ba4d427a6f09ecae7c30b53e7dda2b082a8f0f05ed1fbfb876f01aba2338960',
    'password',
  ],
  [
    'Node scrypt',
    'scrypt$16384$8$1$MDEyMzQ1Njc4OWFiY2RlZg==$ApdFWK8NumyY29Er9pEt++7OZiECvcqPQXeIayRc7Ck=',
    'password',
  ],
];

describe('hashes brought from other systems', () => {
  const h = createPasswordHasher();

  it.each(VECTORS)(
    '%s verifies the right password only, and asks for a rehash',
    async (_, stored, pw) => {
      expect(hashFamily(stored)).toHaveProperty('family');
      expect(await h.verify(stored, pw)).toBe(true);
      expect(await h.verify(stored, `${pw}x`)).toBe(false);
      expect(await h.verify(stored, pw.slice(1))).toBe(false);
      expect(h.needsRehash(stored)).toBe(true);
    },
  );

  it('knows bcrypt $2a$ $2b$ $2y$ and argon2 id, i, d; refuses the rest with a reason', async () => {
    const b = await bcryptHash('pw-bcrypt-1', 4);
    for (const v of ['$2a$', '$2b$', '$2y$']) {
      expect(hashFamily(b.replace('$2b$', v))).toEqual({ family: 'bcrypt' });
      expect(await h.verify(b.replace('$2b$', v), 'pw-bcrypt-1')).toBe(true);
    }
    for (const algorithm of [0, 1, 2]) {
      const a = await argonHash('pw-argon-1', { algorithm, memoryCost: 1024, timeCost: 1 });
      expect(hashFamily(a)).toEqual({ family: 'argon2' });
      expect(await h.verify(a, 'pw-argon-1')).toBe(true);
    }
    const refused: [string, RegExp][] = [
      ['plain-text-password', /unknown hash format/],
      ['$2x$04$' + b.slice(7), /unknown/],
      ['$2b$10$short', /unknown/],
      ['{SSHA}abcdef', /unknown/],
      ['5f4dcc3b5aa765d61d8327deb882cf99', /unknown/],
      ['pbkdf2_sha256$0$salt$YIWkt6M1JFXrHg5s0jZjBSc7C2Cz6QvchSJ0h8Y+i7c=', /iterations/],
      ['pbkdf2_sha256$999999999$salt$YIWkt6M1JFXrHg5s0jZjBSc7C2Cz6QvchSJ0h8Y+i7c=', /iterations/],
      ['pbkdf2_sha256$1000$salt$YWJj', /16 to 128 bytes/],
      [
        '$scrypt$ln=22,r=8,p=1$WKs1xljLudd6z9kbY0wpJQ$yCR4iDZYDKv+iEJj6yHY0lv/epnfB6f/w1EbXrsJOuQ',
        /256 MiB/,
      ],
      ['scrypt$1000$8$1$MDEy$ApdFWK8NumyY29Er9pEt++7OZiECvcqPQXeIayRc7Ck=', /power of 2/],
    ];
    for (const [s, why] of refused) {
      const f = hashFamily(s);
      expect(f, s).toHaveProperty('problem');
      expect((f as { problem: string }).problem, s).toMatch(why);
      expect(await h.verify(s, 'password')).toBe(false);
    }
  });
});
