import nodemailer from 'nodemailer';

/** One mail as the transport sends it. */
export interface OutgoingMail {
  id: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** How a failed delivery ends: retried later, or failed at once. */
export class DeliveryError extends Error {
  override name = 'DeliveryError';
  constructor(
    /** A short description safe to store and log: the SMTP code and reply, or the socket error. */
    readonly summary: string,
    readonly permanent: boolean,
  ) {
    super(summary);
  }
}

export interface Transport {
  send(m: OutgoingMail): Promise<void>;
  close(): void;
}

/** Links carry tokens: anything shaped like `token=...` in a server's reply is blanked before it is kept. */
const redact = (s: string) => s.replace(/(token=)[^\s&"'<>]+/gi, '$1…').replace(/\s+/g, ' ');

/**
 * What nodemailer's error says, in a line: a 5xx reply is permanent (the
 * server refuses this mail: unknown recipient, policy, authentication);
 * a 4xx reply, a timeout, a refused or dropped connection are transient.
 */
function classify(err: unknown): DeliveryError {
  const e = err as {
    code?: unknown;
    responseCode?: unknown;
    response?: unknown;
    message?: unknown;
  };
  const status = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const code = typeof e.code === 'string' ? e.code : 'ERROR';
  const reply = typeof e.response === 'string' ? e.response : String(e.message ?? '');
  const summary = redact(`${code}${status ? ` ${status}` : ''}: ${reply}`).slice(0, 300);
  return new DeliveryError(summary, status !== undefined && status >= 500 && status < 600);
}

/**
 * SMTP through nodemailer, one connection per mail (not pooled): these mails
 * are few and far between (resets, verifications), an idle pooled socket
 * would mostly be closed by the server between them, and a connection per
 * mail confines a dropped or stuck connection to that one mail. Every phase
 * is bounded: connect, greeting, socket inactivity and DNS by `timeoutMs`,
 * the whole delivery by four times that, so a slow server never holds a
 * delivery (or a shutdown) for long.
 */
export function createSmtpTransport(o: {
  url: string;
  from: string;
  timeoutMs: number;
}): Transport {
  const t = nodemailer.createTransport({
    url: o.url,
    connectionTimeout: o.timeoutMs,
    greetingTimeout: o.timeoutMs,
    socketTimeout: o.timeoutMs,
    dnsTimeout: o.timeoutMs,
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  const domain = /@([^\s>]+)>?\s*$/.exec(o.from)?.[1] ?? 'tessera.invalid';
  return {
    async send(m) {
      let timer: NodeJS.Timeout | undefined;
      const overall = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(Object.assign(new Error('delivery took too long'), { code: 'ETIMEDOUT' })),
          o.timeoutMs * 4,
        );
      });
      try {
        await Promise.race([
          t.sendMail({
            from: o.from,
            to: m.to,
            subject: m.subject,
            text: m.text,
            html: m.html,
            // The same id on every attempt: a receiver can tell a retry from a second mail.
            messageId: `<${m.id}@${domain}>`,
          }),
          overall,
        ]);
      } catch (err) {
        throw classify(err);
      } finally {
        clearTimeout(timer);
      }
    },
    close: () => t.close(),
  };
}
