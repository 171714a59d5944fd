import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../server.js';
import { processLogSink } from './secrets.js';
import { capturedLines, forgetLines, logLeaks } from './setup.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));

describe('no secret reaches a log line (the whole suite runs under src/test-support/log-guard/setup.ts)', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await createTestServer({ config: { accessLog: true } });
  });
  afterAll(() => s.close());

  it('captures the lines of an app built by a test, at every level, though its level is silent', async () => {
    const from = capturedLines();
    await s.call('GET', '/healthz');
    s.rt.log.debug({ probe: 'log-guard' }, 'a debug line');
    expect(capturedLines()).toBeGreaterThan(from);
    expect(logLeaks(from)).toEqual([]);
  });

  it('finds a deliberate leak: a token, a password the tests used, a token link', async () => {
    await s.register('leaky', 'leaky-passphrase-9');
    const t = await s.login('leaky', 'leaky-passphrase-9');
    const from = capturedLines();
    s.rt.log.info(`refreshing with ${t.refresh_token}`);
    s.rt.log.warn({ note: 'the user typed leaky-passphrase-9' }, 'oops');
    s.rt.log.info('mail link https://x.example/login/reset?token=abcdefghijk');
    s.rt.log.info('carried eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl'); // no test's token
    const what = logLeaks(from).map((l) => l.what);
    forgetLines(from); // seen: the file's own checks would fail on them otherwise
    expect(what).toEqual([
      expect.stringContaining('a secret the tests used'),
      expect.stringContaining('a secret the tests used'),
      'a token or code in a link',
      'a JWT',
    ]);
  });

  it('checks the output of a spawned server too, lines reassembled across chunks', () => {
    const from = capturedLines();
    const sink = processLogSink();
    sink('{"msg":"fine"}\n{"msg":"sent Bearer abcd');
    sink('efghijkl"}\n');
    const what = logLeaks(from).map((l) => l.what);
    forgetLines(from);
    expect(what).toEqual(['a bearer credential']);
  });

  it('the redaction keeps request secrets out of an object logged whole', async () => {
    const from = capturedLines();
    s.rt.log.info(
      {
        body: { password: 'p-9f8e7d6c5b4a', code: '123456', token: 't-0a1b2c3d4e5f' },
        headers: { authorization: 'Basic dXNlcjpwYXNz', cookie: 'sid=0a1b2c3d4e5f6a7b' },
        err: { code: 'ECONNREFUSED' },
      },
      'a request body logged by mistake',
    );
    const lines = (await import('./setup.js')).logLeaks(from);
    expect(lines).toEqual([]);
  });

  it('fails a vitest run whose test leaks (the mechanism can fail)', async () => {
    const run = promisify(execFile)(
      process.execPath,
      [
        'node_modules/vitest/vitest.mjs',
        'run',
        '--config',
        'src/test-support/log-guard/leak.vitest.config.ts',
      ],
      { cwd: root, env: { ...process.env, CI: 'true' } },
    );
    const err = await run.then(
      () => undefined,
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(err?.code).toBe(1);
    expect(`${err?.stdout}${err?.stderr}`).toContain('secret in a log line');
  }, 120_000);
});
