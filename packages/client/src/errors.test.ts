import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorTable } from '../../../src/contract/errors.js';
import { createTestServer, type TestServer } from '../../../src/test-support/server.js';
import { ERROR_CODES, isTesseraError, TesseraError } from './errors.js';

/**
 * The package keeps its own copy of the server's error codes (importing the
 * server's type would pull server code into its build). Every feature
 * registers its codes when an app starts, so a started app holds the table.
 */
/** Codes of routes only backends call (service tokens), never this client: not listed. */
const SERVICE_ONLY = new Set(['REVOCATION_FEED_FULL']);

describe('@tessera-auth/client error codes', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await createTestServer();
  });
  afterAll(() => s.close());

  it('the SDK lists exactly the codes the server answers a browser with', () => {
    const server = [...errorTable().keys()].filter((c) => !SERVICE_ONLY.has(c));
    expect([...ERROR_CODES].sort()).toEqual(server.sort());
  });

  it('isTesseraError recognises errors of another copy of the package (no instanceof)', () => {
    const e = new TesseraError('RATE_LIMITED', 429, 'RATE_LIMITED: slow down', { retryAfter: 3 });
    const twin = { ...e, [Symbol.for('tessera-auth.error')]: true };
    expect(isTesseraError(e)).toBe(true);
    expect(isTesseraError(twin)).toBe(true);
    expect(isTesseraError(new Error('RATE_LIMITED'))).toBe(false);
    expect(e).toMatchObject({ code: 'RATE_LIMITED', status: 429, retryAfter: 3 });
  });
});
