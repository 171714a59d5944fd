/**
 * The no-secrets-in-logs check (decision 0021): the secrets the tests used, registered by the
 * test helpers, and the shapes a secret has whatever its value. Every log line of every app a
 * test builds is checked against both (setup.ts).
 */

/** Keys under which a request or an answer carries a secret: their values are registered. */
const SECRET_KEYS = new Set([
  'password',
  'new_password',
  'current_password',
  'encryptedPassword',
  'access_token',
  'refresh_token',
  'id_token',
  'token',
  'code',
  'mfa_code',
  'recovery_code',
  'recovery_codes',
  'secret',
  'otpauth_url',
  'otpauth_uri',
  'ticket',
  'mfa_ticket',
  'client_secret',
]);

const known = new Set<string>();

/** Registers a value the tests used as a secret (a password, a token, a code). */
export function rememberSecret(value: unknown): void {
  // Shorter values (a 6-digit code) are checked as a whole JSON string, longer ones anywhere.
  if (typeof value === 'string' && value.length >= 6) known.add(value);
}

/**
 * Registers every value under a secret key, at any depth, of a body sent or received. In an
 * answer `code` is the envelope's (an error code, no secret): only a sent `code` counts.
 */
export function rememberSecretsIn(body: unknown, side: 'sent' | 'answer', depth = 0): void {
  if (depth > 6 || body === null || typeof body !== 'object') return;
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (SECRET_KEYS.has(k) && !(side === 'answer' && k === 'code')) {
      if (Array.isArray(v)) v.forEach(rememberSecret);
      else rememberSecret(v);
    }
    rememberSecretsIn(v, side, depth + 1);
  }
}

/**
 * Registers a secret setting's value: a URL's password only (the rest of a database URL is shown
 * in the logged configuration), each entry of a list.
 */
export function rememberSetting(value: unknown): void {
  if (Array.isArray(value)) return value.forEach(rememberSetting);
  if (typeof value !== 'string') return;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    const pw = URL.canParse(value) ? new URL(value).password : '';
    if (pw) rememberSecret(decodeURIComponent(pw));
    return;
  }
  rememberSecret(value);
}

/** Shapes that are a secret whatever its value. */
const SHAPES: readonly (readonly [string, RegExp])[] = [
  ['a JWT', /eyJ[A-Za-z0-9_-]{6,}\.eyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]*/],
  ['a bearer credential', /\bBearer\s+[A-Za-z0-9._~+/-]{8,}/i],
  ['a token or code in a link', /[?&](token|code|ticket|jwt_token|access_token)=[^&\s"]{6,}/],
  ['a TOTP enrolment URI', /otpauth:\/\//i],
  ['a private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
];

export interface Leak {
  what: string;
  line: string;
}

/** The leaks in one log line: a registered secret, or a secret's shape. */
export function leaksIn(line: string): Leak[] {
  const out: Leak[] = [];
  for (const [what, re] of SHAPES) if (re.test(line)) out.push({ what, line });
  for (const s of known) {
    const hit = s.length >= 10 ? line.includes(s) : line.includes(JSON.stringify(s));
    if (hit) out.push({ what: `a secret the tests used (${s.slice(0, 3)}…)`, line });
  }
  return out;
}

/** A readable failure for a list of leaks (lines cut to 300 characters). */
export function describeLeaks(leaks: readonly Leak[]): string {
  const shown = leaks
    .slice(0, 5)
    .map((l) => `  ${l.what} in: ${l.line.slice(0, 300)}`)
    .join('\n');
  return `secret in a log line (${leaks.length}):\n${shown}`;
}

/** Every log line captured in this test file (setup.ts checks them). */
export const captured: string[] = [];
/** Bounded: a file logging more than this is checked on its first lines only. */
const MAX_LINES = 200_000;

/** Adds the complete lines of a chunk of log output. */
export function captureLines(chunk: string): void {
  for (const line of chunk.split('\n'))
    if (line && captured.length < MAX_LINES) captured.push(line);
}

/**
 * A sink for the output of a spawned `node dist/main.js` (its stdout and stderr): its lines,
 * reassembled across chunks, are checked like the in-process ones.
 */
export function processLogSink(): (chunk: Buffer | string) => void {
  let rest = '';
  return (chunk) => {
    const text = rest + String(chunk);
    const cut = text.lastIndexOf('\n');
    rest = text.slice(cut + 1);
    if (cut >= 0) captureLines(text.slice(0, cut));
  };
}
