import {
  createServer as createNetServer,
  type AddressInfo,
  type Server,
  type Socket,
} from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
}

/**
 * How the server behaves, switchable at any time: `ok` receives; `refuse`
 * answers RCPT TO with `code` (5xx permanent, 4xx transient); `slow` says
 * nothing at all (no greeting: the client's timeout must end it); `drop`
 * greets, then closes the connection on the client's first command.
 */
export type Behaviour =
  { mode: 'ok' } | { mode: 'refuse'; code: number } | { mode: 'slow' } | { mode: 'drop' };

export interface TestSmtp {
  port: number;
  url: string;
  received: ReceivedMail[];
  /** Connections seen (every attempt opens one). */
  connections: number;
  behave(b: Behaviour): void;
  close(): Promise<void>;
}

/**
 * A real SMTP server in process (smtp-server) behind a TCP front that can
 * stall or drop connections; mails it accepts are parsed with mailparser.
 */
export async function startTestSmtp(port = 0): Promise<TestSmtp> {
  let behaviour: Behaviour = { mode: 'ok' };
  const received: ReceivedMail[] = [];
  const held = new Set<Socket>();
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(_address, _session, cb) {
      if (behaviour.mode === 'refuse')
        cb(Object.assign(new Error('not now'), { responseCode: behaviour.code }));
      else cb();
    },
    onData(stream, _session, cb) {
      simpleParser(stream).then(
        (m) => {
          received.push({
            from: m.from?.text ?? '',
            to: Array.isArray(m.to) ? m.to.map((a) => a.text).join(', ') : (m.to?.text ?? ''),
            subject: m.subject ?? '',
            text: m.text ?? '',
            html: typeof m.html === 'string' ? m.html : '',
            messageId: m.messageId ?? '',
          });
          cb();
        },
        (e: Error) => cb(e),
      );
    },
  });
  const inner = (smtp as unknown as { server: Server }).server;
  const t: TestSmtp = {
    port: 0,
    url: '',
    received,
    connections: 0,
    behave: (b) => void (behaviour = b),
    close: async () => {
      for (const s of held) s.destroy();
      await new Promise<void>((r) => front.close(() => r()));
      await new Promise<void>((r) => smtp.close(() => r()));
    },
  };
  const front = createNetServer((socket) => {
    t.connections++;
    held.add(socket);
    socket.on('close', () => held.delete(socket));
    socket.on('error', () => undefined);
    if (behaviour.mode === 'slow') return;
    if (behaviour.mode === 'drop') {
      socket.write('220 test ESMTP\r\n');
      socket.once('data', () => socket.destroy());
      return;
    }
    inner.emit('connection', socket);
  });
  // Listening (on a port of its own, unused) so that close() finds it running.
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => front.listen(port, '127.0.0.1', r));
  t.port = (front.address() as AddressInfo).port;
  t.url = `smtp://127.0.0.1:${t.port}`;
  return t;
}

/** A port nothing listens on (for a server that is down). */
export async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
