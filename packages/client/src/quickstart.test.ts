import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ComponentType } from 'react';
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TesseraClient } from './client.js';
import { authStore } from './react.js';
import { PW, serve, type Served } from './server.test-support.js';

const here = dirname(fileURLToPath(import.meta.url));
const DOC = join(here, '../../../docs/sdk.md');

/** The first ```tsx block of docs/sdk.md, pointed at this package's sources and a test server (in Node its default storage is memory). */
function quickStart(origin: string): string {
  const md = readFileSync(DOC, 'utf8');
  const block = /```tsx\n([\s\S]*?)```/.exec(md)?.[1];
  if (!block) throw new Error('no tsx block in docs/sdk.md');
  return block
    .replace("'@tessera-auth/client/react'", "'../src/react.js'")
    .replace("'@tessera-auth/client'", "'../src/index.js'")
    .replace("'https://auth.example.com'", JSON.stringify(origin));
}

describe('docs/sdk.md quick start, run', () => {
  let srv: Served;
  const dir = join(here, '../.quickstart');
  let mod: { auth: TesseraClient; App: ComponentType };
  beforeAll(async () => {
    srv = await serve();
    await srv.s.register('reader', PW, 'reader@example.com');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `app-${process.pid}.tsx`);
    writeFileSync(file, quickStart(srv.origin));
    mod = (await import(file)) as typeof mod;
  }, 90_000);
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await srv.s.close();
  });
  const html = () => renderToString(createElement(mod.App));

  it('is under 30 lines', () => {
    const block = /```tsx\n([\s\S]*?)```/.exec(readFileSync(DOC, 'utf8'))![1]!;
    expect(block.trimEnd().split('\n').length).toBeLessThan(30);
  });

  it('renders, logs in (encrypted), shows a refusal, logs out', async () => {
    const store = authStore(mod.auth);
    expect(html()).toContain('Loading…');
    await store.check();
    expect(html()).toContain('aria-label="Password"');
    // What the form's submit calls.
    await expect(store.login('reader', 'not-the-password')).rejects.toMatchObject({
      code: 'INVALID_CREDENTIALS',
    });
    expect(html()).toContain('role="alert">INVALID_CREDENTIALS: Wrong username or password');
    await store.login('reader', PW);
    expect(html()).toMatch(/Hello (<!-- -->)?reader/);
    await store.logout();
    expect(html()).toContain('Sign in');
    expect(mod.auth.getTokens()).toBeNull();
  });
});
