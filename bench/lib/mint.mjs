// Bounded, concurrent set-up: users, sessions (logins) and refresh chains that yield many
// distinct live access tokens without paying one password hash per token.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchUser } from './clients.mjs';

/** Runs fn over items with at most `limit` in flight; returns results in order. */
export async function pool(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export async function ensureUsers(client, tag, count) {
  const users = Array.from({ length: count }, (_, i) => benchUser(tag, i));
  await pool(users, 8, (u) => client.register(u));
  return users;
}

/** One login per session, users round-robin. Returns [{access, refresh}]. */
export async function loginSessions(client, users, sessions, offset = 0) {
  const idx = Array.from({ length: sessions }, (_, i) => users[(i + offset) % users.length]);
  return pool(idx, 16, (u) => client.login(u));
}

/**
 * Grows `sessions` by refresh rotation until `total` access tokens exist or `deadlineMs` passes.
 * Mutates each session's `refresh` to the live one. Returns the access tokens minted, in order.
 */
export async function refreshChains(client, sessions, total, deadlineMs) {
  const tokens = [];
  let rounds = 0;
  while (tokens.length < total && Date.now() < deadlineMs && rounds < 10_000) {
    rounds++;
    const want = Math.min(sessions.length, total - tokens.length);
    await pool(sessions.slice(0, want), 32, async (s) => {
      const next = await client.refresh(s.refresh);
      s.refresh = next.refresh;
      tokens.push(next.access);
    });
  }
  return tokens;
}

export function writeLines(dir, name, lines) {
  const file = join(dir, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}
