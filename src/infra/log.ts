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

/**
 * `code` is an error's code (ECONNREFUSED, INVALID_CREDENTIALS) everywhere but in what a client
 * sent, where it is a one-time code (TOTP, recovery, OAuth): redacted there only.
 */
const CLIENT_PARTS = ['body', 'query', 'params', 'req.body', 'req.query', 'req.params'];

/** pino's redact paths (fast-redact syntax; `["set-cookie"]` for a key with a dash). */
export const REDACT_PATHS: readonly string[] = [
  ...SECRET_KEYS.flatMap((k) => {
    const key = /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? k : `["${k}"]`;
    const dot = key.startsWith('[') ? '' : '.';
    return [key, `*${dot}${key}`, `*.*${dot}${key}`];
  }),
  ...CLIENT_PARTS.map((p) => `${p}.code`),
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

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
 * line redacted (REDACT_PATHS), a request logged by its route (never its URL).
 */
export async function createLogger(s: LogSettings, o: LoggerOptionsExtra = {}): Promise<Logger> {
  const options: LoggerOptions = {
    level: s.logLevel,
    base: { svc: 'tessera' },
    redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
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
