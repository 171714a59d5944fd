// Bounded, concurrent set-up: users, sessions (logins) and refresh chains that yield many
// distinct live access tokens without paying one password hash per token.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchUser } from './clients.mjs';
import { Skip } from './contenders.mjs';
import { runLoad } from './load.mjs';

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
 * `count` new access tokens by refresh rotation, driven by autocannon (far faster than fetch from
 * here): every session's refresh token seeds a chain, each answer's successor goes back in the queue.
 * Afterwards each session holds a live refresh token again. Server unpinned, generator on its core.
 */
export async function mintByRefresh(h, sessions, count, tag) {
  const seeds = writeLines(h.tmp, `${tag}-seeds.txt`, sessions.map((s) => s.refresh));
  const collectFile = join(h.tmp, `${tag}-minted.txt`);
  const liveFile = join(h.tmp, `${tag}-live.txt`);
  const r = await runLoad(
    {
      url: h.url,
      method: 'POST',
      path: h.client.refreshPath,
      headers: { 'content-type': 'application/json' },
      connections: Math.min(32, sessions.length),
      amount: count,
      timeout: 30,
      chain: { file: seeds, collectFile, liveFile },
    },
    { tmp: h.tmp },
  );
  const tokens = readLines(collectFile);
  const live = readLines(liveFile);
  if (r.non2xx || r.errors || tokens.length < count) {
    throw new Skip(`minting by refresh: ${tokens.length}/${count} tokens, ${r.non2xx} non-2xx ${JSON.stringify(r.statusCodes)}, ${r.errors} errors`);
  }
  sessions.forEach((s, i) => (s.refresh = live[i]));
  return tokens;
}

const readLines = (file) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);

export function writeLines(dir, name, lines) {
  const file = join(dir, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}
