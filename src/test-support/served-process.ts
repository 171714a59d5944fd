import { spawn, type ChildProcess } from 'node:child_process';
import { connect as tcpConnect, type Socket } from 'node:net';
import { MAIN, ROOT, freePort } from './processes.js';
import { processLogSink } from './log-guard/secrets.js';

/** A served Tessera (`node dist/main.js`, or `npm start`) whose exit the test watches. */
export interface Served {
  proc: ChildProcess;
  port: number;
  /** stdout + stderr so far. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  url(path: string): string;
}

/** Starts `command` (default: node dist/main.js) and waits until /readyz answers 200. */
export async function serve(
  env: Record<string, string>,
  command: { file: string; args: string[] } = { file: process.execPath, args: [MAIN] },
): Promise<Served> {
  const port = await freePort();
  const proc = spawn(command.file, command.args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      TESSERA_RSA_KEY_POOL_SIZE: '2',
      ...env,
      TESSERA_PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  // Checked for secrets like every in-process log line (log-guard/).
  proc.stdout!.on('data', processLogSink());
  proc.stderr!.on('data', processLogSink());
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    proc.once('exit', (code, signal) => r({ code, signal })),
  );
  const s: Served = {
    proc,
    port,
    output: () => out,
    exited,
    url: (path) => `http://127.0.0.1:${port}${path}`,
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`exited with ${proc.exitCode}:\n${out}`);
    try {
      if ((await fetch(s.url('/readyz'))).status === 200) return s;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`not ready in 30 s:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A request the server is in the middle of: headers and half the body sent over a raw socket,
 * the rest sent by `finish()`, which resolves with the raw answer.
 */
export async function halfSentRequest(
  port: number,
  path: string,
  body: string,
): Promise<{ finish(): Promise<string>; socket: Socket }> {
  const socket = tcpConnect(port, '127.0.0.1');
  await new Promise<void>((r, j) => socket.once('connect', r).once('error', j));
  let answer = '';
  socket.on('data', (d: Buffer) => (answer += d.toString()));
  const ended = new Promise<void>((r) => socket.once('close', () => r()));
  const cut = Math.floor(body.length / 2);
  socket.write(
    `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, cut)}`,
  );
  return {
    socket,
    async finish() {
      socket.write(body.slice(cut));
      // The server closes the connection after answering: it is shutting down.
      await ended;
      return answer;
    },
  };
}
