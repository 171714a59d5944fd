// Scenario 6: authenticated idle WebSocket connections and the server's RSS per connection.
// The clients run in separate processes (each under the 20,000 open-file limit), pinned to core 1.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Skip } from '../contenders.mjs';
import { LOAD_CPU } from '../load.mjs';
import { canPin, pin, procStatusKb, sleep, stopProcess, track } from '../procs.mjs';

const WORKER = fileURLToPath(new URL('../ws-worker.mjs', import.meta.url));
const PER_PROCESS = 5000;

function startWorker(url, file, count, start) {
  const [cmd, args] = canPin ? ['taskset', ['-c', LOAD_CPU, process.execPath, WORKER]] : [process.execPath, [WORKER]];
  const child = track(spawn(cmd, [...args, url, file, String(count), String(start)], { stdio: ['pipe', 'pipe', 'inherit'] }));
  child.exited = new Promise((r) => child.once('exit', r));
  child.ready = new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      if (buf.includes('\n')) resolve(JSON.parse(buf.split('\n')[0]));
    });
    child.once('exit', (code) => reject(new Error(`ws worker exited with ${code}`)));
  });
  return child;
}

async function probe(url, file) {
  const w = startWorker(url, file, 1, 0);
  try {
    let timer;
    const r = await Promise.race([
      w.ready,
      new Promise((res) => {
        timer = setTimeout(() => res({ opened: 0, firstError: 'timeout' }), 15_000);
      }),
    ]);
    clearTimeout(timer);
    if (r.opened !== 1) throw new Skip(r.firstError === 'HTTP 404' ? 'not built (GET /ws answers 404)' : `first connection failed: ${r.firstError}`);
  } finally {
    w.stdin.end();
    await stopProcess(w, 2000);
  }
}

export const websocket = {
  id: 'websocket',
  title: 'WebSocket: authenticated idle connections, RSS per connection',
  contenders: ['tessera'],
  async prepare(h, def, state, { opts }) {
    const tokens = await state.tokensA();
    const url = `${h.url.replace('http', 'ws')}/ws`;
    await probe(url, tokens.file);
    return { custom: () => holdConnections(h, url, tokens, opts) };
  },
};

async function holdConnections(h, url, tokens, opts) {
  pin(h.pid, '0');
  await sleep(2000);
  const rssBeforeKb = procStatusKb(h.pid, 'VmRSS');
  const workers = [];
  const t0 = performance.now();
  for (let start = 0; start < opts.wsTarget; start += PER_PROCESS) {
    workers.push(startWorker(url, tokens.file, Math.min(PER_PROCESS, opts.wsTarget - start), start));
  }
  try {
    // A cleared timer: an open 180 s one kept the whole run alive that long after its results.
    let timer;
    const timeout = new Promise((r) => {
      timer = setTimeout(() => r({ opened: 0, failed: 0, firstError: 'worker timeout' }), 180_000);
    });
    const ready = await Promise.all(workers.map((w) => Promise.race([w.ready, timeout])));
    clearTimeout(timer);
    const connectSeconds = (performance.now() - t0) / 1000;
    await sleep(3000);
    const rssAfterKb = procStatusKb(h.pid, 'VmRSS');
    const opened = ready.reduce((a, r) => a + r.opened, 0);
    return {
      target: opts.wsTarget,
      opened,
      failed: ready.reduce((a, r) => a + r.failed, 0),
      firstError: ready.find((r) => r.firstError)?.firstError,
      connectSeconds,
      rssBeforeMiB: rssBeforeKb / 1024,
      rssAfterMiB: rssAfterKb / 1024,
      rssPeakMiB: rssAfterKb / 1024,
      kibPerConnection: opened ? (rssAfterKb - rssBeforeKb) / opened : undefined,
    };
  } finally {
    for (const w of workers) w.stdin.end();
    await Promise.all(workers.map((w) => stopProcess(w, 3000)));
    pin(h.pid, '0,1');
  }
}
