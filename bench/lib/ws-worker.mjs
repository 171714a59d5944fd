// WebSocket load process: opens `count` authenticated idle connections, prints one JSON line
// when done ({opened, failed, firstError}), then holds them until stdin closes.
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';

const [url, tokenFile, countArg, startArg] = process.argv.slice(2);
const tokens = readFileSync(tokenFile, 'utf8').split('\n').filter(Boolean);
const count = Number(countArg);
let next = Number(startArg);
const sockets = [];
let opened = 0;
let failed = 0;
let firstError;
const IN_FLIGHT = 200;

function openOne() {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${url}?jwt_token=${encodeURIComponent(tokens[next++ % tokens.length])}`, { perMessageDeflate: false });
    const fail = (why) => {
      failed++;
      firstError ??= why;
      ws.terminate();
      resolve();
    };
    const timer = setTimeout(() => fail('timeout'), 30_000);
    ws.once('open', () => {
      clearTimeout(timer);
      opened++;
      sockets.push(ws);
      resolve();
    });
    ws.once('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      fail(`HTTP ${res.statusCode}`);
    });
    ws.once('error', (err) => {
      clearTimeout(timer);
      fail(err.code ?? err.message);
    });
    ws.on('message', () => {}); // presence frames are read and dropped
  });
}

let started = 0;
async function lane() {
  while (started < count) {
    started++;
    await openOne();
  }
}
await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
const closedEarly = sockets.filter((s) => s.readyState !== WebSocket.OPEN).length;
process.stdout.write(`${JSON.stringify({ opened, failed, closedEarly, firstError })}\n`);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
