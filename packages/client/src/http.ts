import { TesseraError } from './errors.js';

/** The `fetch` this client calls: the global one, or any with the same shape. */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface Transport {
  /** `<baseUrl><contextPath>` with no trailing slash, e.g. `https://auth.example.com/api`. */
  readonly api: string;
  /**
   * Sends one request and opens the envelope `{ code, message, data }`:
   * resolves with `data` for a 2xx, throws a TesseraError otherwise.
   */
  call<T>(
    method: string,
    path: string,
    o?: { body?: unknown; token?: string | null; headers?: Record<string, string> },
  ): Promise<T>;
}

interface Envelope {
  code?: unknown;
  message?: unknown;
  error?: unknown;
  data?: unknown;
}

export function createTransport(o: {
  api: string;
  fetch: FetchLike;
  tenant?: string | undefined;
  locale?: string | undefined;
}): Transport {
  const api = o.api.replace(/\/+$/, '');
  return {
    api,
    async call<T>(
      method: string,
      path: string,
      c: { body?: unknown; token?: string | null; headers?: Record<string, string> } = {},
    ): Promise<T> {
      const headers: Record<string, string> = { accept: 'application/json', ...c.headers };
      if (c.body !== undefined) headers['content-type'] = 'application/json';
      if (c.token) headers.authorization = `Bearer ${c.token}`;
      if (o.tenant) headers['x-tessera-tenant'] = o.tenant;
      if (o.locale) headers['accept-language'] = o.locale;
      let res: Response;
      try {
        res = await o.fetch(`${api}${path}`, {
          method,
          headers,
          ...(c.body !== undefined ? { body: JSON.stringify(c.body) } : {}),
        });
      } catch (e) {
        throw new TesseraError('NETWORK_ERROR', 0, 'NETWORK_ERROR: the server was not reached', {
          cause: e,
        });
      }
      let env: Envelope;
      try {
        env = (await res.json()) as Envelope;
      } catch (e) {
        throw new TesseraError(
          'BAD_RESPONSE',
          res.status,
          `BAD_RESPONSE: HTTP ${res.status} without a JSON body`,
          { cause: e },
        );
      }
      if (res.ok) return env.data as T;
      const ra = Number(res.headers.get('retry-after'));
      const data = env.data;
      throw new TesseraError(
        typeof env.error === 'string' ? env.error : `HTTP_${res.status}`,
        res.status,
        typeof env.message === 'string' ? env.message : `HTTP ${res.status}`,
        {
          data:
            data !== null && typeof data === 'object' ? (data as Record<string, unknown>) : null,
          ...(Number.isFinite(ra) && ra > 0 ? { retryAfter: ra } : {}),
        },
      );
    },
  };
}
