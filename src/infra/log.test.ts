import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { chooseLogFormat, createLogger, redactSecrets } from './log.js';

describe('log format (TESSERA_LOG_FORMAT)', () => {
  it('auto: pretty on a terminal, JSON otherwise; json and pretty are kept', () => {
    expect(chooseLogFormat('auto', true)).toBe('pretty');
    expect(chooseLogFormat('auto', false)).toBe('json');
    expect(chooseLogFormat('json', true)).toBe('json');
    expect(chooseLogFormat('pretty', false)).toBe('pretty');
  });

  it('a JSON logger writes one JSON object a line, redacted', async () => {
    const lines: string[] = [];
    const log = await createLogger(
      { logLevel: 'info', logFormat: 'json' },
      { destination: { write: (s: string) => void lines.push(s) } },
    );
    log.info(
      {
        req: { method: 'POST', url: '/x?token=abc', routeOptions: { url: '/x' }, headers: {} },
        body: {
          password: 'p1',
          encryptedPassword: 'e1',
          refresh_token: 'r1',
          mfa_code: 'm1',
          code: 'c1',
          token: 't1',
          new_password: 'n1',
          current_password: 'cp1',
        },
        headers: { authorization: 'Bearer a1', cookie: 'c=1' },
        data: { user: { password: 'deep1' } },
        err: { code: 'ECONNREFUSED' },
      },
      'hello',
    );
    const line = JSON.parse(lines[0]!) as Record<string, Record<string, unknown>>;
    expect(line.msg).toBe('hello');
    expect(Object.values(line.body!)).toEqual(Array(8).fill('[redacted]'));
    expect(line.headers).toEqual({ authorization: '[redacted]', cookie: '[redacted]' });
    expect(line.data).toEqual({ user: { password: '[redacted]' } });
    // An error's code is no secret: kept.
    expect(line.err).toMatchObject({ code: 'ECONNREFUSED' });
    // A request is logged by its route, never its URL.
    expect(line.req).toEqual({ method: 'POST', route: '/x' });
    expect(lines[0]).not.toMatch(/p1|e1|r1|m1|c1|t1|n1|cp1|a1|token=/);
  });

  it('redacts headers, arrays and client codes; keeps errors and what is no secret', () => {
    const err = new Error('boom');
    const out = redactSecrets({
      headers: { Authorization: 'Bearer a', 'set-cookie': ['s=1'], accept: 'json' },
      items: [{ token: 't' }, 'plain'],
      query: { code: 'q' },
      reason: { code: 'ECONNREFUSED' },
      err,
      a: { b: { c: { password: 'too deep to look for' } } },
    });
    expect(out.headers).toEqual({
      Authorization: '[redacted]',
      'set-cookie': '[redacted]',
      accept: 'json',
    });
    expect(out.items).toEqual([{ token: '[redacted]' }, 'plain']);
    expect(out.query).toEqual({ code: '[redacted]' });
    expect(out.reason).toEqual({ code: 'ECONNREFUSED' });
    expect(out.err).toBe(err);
  });

  it('pretty output is text for a person; JSON is JSON', async () => {
    const out = async (logFormat: string, isTTY: boolean) => {
      let text = '';
      const destination = new Writable({
        write(c: Buffer, _e, done) {
          text += String(c);
          done();
        },
      });
      const log = await createLogger({ logLevel: 'info', logFormat }, { destination, isTTY });
      log.info({ user: 7 }, 'signed in');
      await new Promise((r) => setTimeout(r, 20));
      return text;
    };
    const pretty = await out('pretty', false);
    expect(pretty).toMatch(/INFO.*signed in/);
    expect(pretty).toMatch(/user: 7/);
    expect(() => JSON.parse(pretty) as unknown).toThrow();
    const auto = await out('auto', true);
    expect(auto).toMatch(/signed in/);
    expect(() => JSON.parse(auto) as unknown).toThrow();
    expect(JSON.parse(await out('auto', false))).toMatchObject({ msg: 'signed in', user: 7 });
  });
});
