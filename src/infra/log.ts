import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

/** What the logger needs from the config (TESSERA_LOG_LEVEL, TESSERA_LOG_FORMAT). */
export interface LogSettings {
  logLevel: string;
  logFormat: string;
}

/**
 * Keys whose values never reach a line, at any of the first three levels of a logged object
 * (a body, its `data`, an error's `cause`...): passwords, tokens, second-factor codes, cookies.
 */
const SECRET_KEYS = [
  'password',
  'encryptedPassword',
  'new_password',
  'current_password',
  'newPassword',
  'currentPassword',
  'refresh_token',
  'refreshToken',
  'access_token',
  'accessToken',
  'id_token',
  'mfa_code',
  'token',
  'secret',
  'ticket',
  'recovery_code',
  'authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
];

const SECRETS = new Set(SECRET_KEYS.map((k) => k.toLowerCase()));

/**
 * `code` is an error's code (ECONNREFUSED, INVALID_CREDENTIALS) everywhere but in what a client
 * sent, where it is a one-time code (TOTP, recovery, OAuth): redacted there only.
 */
const CLIENT_PARTS = new Set(['body', 'query', 'params']);
const CENSOR = '[redacted]';
/** How deep secrets are looked for: `password`, `x.password`, `x.y.password` (and one more under a client part). */
const DEPTH = 3;

function isPlain(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * A copy of a logged object with the values of secret keys replaced, down to DEPTH levels of plain
 * objects and arrays (errors, requests and other class instances go to their serializers as they
 * are). It runs as pino's `formatters.log`, once per line written: unlike pino's `redact` option,
 * which also runs on the bindings of every child logger (Fastify makes one per request: with these
 * keys, ~10 µs each against ~0.3 µs), it costs nothing on a request that logs nothing.
 */
export function redactSecrets(
  obj: Record<string, unknown>,
  depth = DEPTH,
  client = false,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    const key = k.toLowerCase();
    if (SECRETS.has(key) || (client && key === 'code')) out[k] = CENSOR;
    else if (depth > 0 && (isPlain(v) || Array.isArray(v)))
      out[k] = redactValue(v, depth - 1, CLIENT_PARTS.has(key));
    else out[k] = v;
  }
  return out;
}

function redactValue(
  v: Record<string, unknown> | unknown[],
  depth: number,
  client: boolean,
): unknown {
  if (Array.isArray(v))
    return v.map((x) => (isPlain(x) || Array.isArray(x) ? redactValue(x, depth, client) : x));
  // What a client sent keeps one more level: body.user.password is still found.
  return redactSecrets(v, client ? depth + 1 : depth, client);
}

export type LogFormat = 'json' | 'pretty';

/** TESSERA_LOG_FORMAT: auto is pretty on a terminal, JSON otherwise (files, pipes, journald). */
export function chooseLogFormat(setting: string, stdoutIsTTY: boolean): LogFormat {
  if (setting === 'json' || setting === 'pretty') return setting;
  return stdoutIsTTY ? 'pretty' : 'json';
}

/**
 * A destination that also receives every line of every logger created here, at every level,
 * whatever TESSERA_LOG_LEVEL says. The test suite installs one to check that no secret ever
 * reaches a line (src/test-support/log-guard/); nothing in a running server sets it.
 */
let tap: DestinationStream | undefined;

export function setLogTap(stream: DestinationStream | undefined): void {
  tap = stream;
}

export interface LoggerOptionsExtra {
  /** Where lines go (default: stdout; tests pass a collector). */
  destination?: DestinationStream;
  /** Whether stdout is a terminal (default: process.stdout.isTTY). */
  isTTY?: boolean;
}

/**
 * The process logger: JSON lines (or pino-pretty on a terminal, loaded only then), every
 * line redacted (redactSecrets), a request logged by its route (never its URL).
 */
export async function createLogger(s: LogSettings, o: LoggerOptionsExtra = {}): Promise<Logger> {
  const options: LoggerOptions = {
    level: s.logLevel,
    base: { svc: 'tessera' },
    formatters: { log: (o) => redactSecrets(o) },
    serializers: { req: requestSerializer },
  };
  const isTTY = o.isTTY ?? process.stdout.isTTY === true;
  let dest: DestinationStream = o.destination ?? pino.destination(1);
  if (chooseLogFormat(s.logFormat, isTTY) === 'pretty') {
    // Loaded only here: a server logging JSON never loads pino-pretty.
    const { build } = await import('pino-pretty');
    dest = build({
      colorize: isTTY,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,svc',
      destination: dest,
    });
  }
  if (!tap) return pino(options, dest);
  const streams: pino.StreamEntry[] = [{ level: 'trace', stream: tap }];
  if (s.logLevel !== 'silent') streams.push({ level: s.logLevel as pino.Level, stream: dest });
  return pino({ ...options, level: 'trace' }, pino.multistream(streams));
}

interface LoggedRequest {
  id?: unknown;
  method?: string;
  routeOptions?: { url?: string };
  ip?: string;
}

/** A request as logged: its route, never its URL (a path or query may carry a token), headers or body. */
function requestSerializer(req: LoggedRequest): Record<string, unknown> {
  return {
    id: req.id,
    method: req.method,
    route: req.routeOptions?.url,
    ip: req.ip,
  };
}
