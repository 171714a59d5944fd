import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import {
  publicKeyDataSchema,
  publicKeyHeadersSchema,
  publicKeyQuerySchema,
  type PublicKeyData,
} from './schemas.js';

describe('public-key route schemas', () => {
  it('plug into Fastify: validate X-Session-Id and alg, serialize the extra fields', async () => {
    const app = Fastify();
    const data: PublicKeyData = {
      key_id: 'AAAAAAAAAAAAAAAAAAAAAAAA',
      public_key: '-----BEGIN PUBLIC KEY-----\n...\n-----END PUBLIC KEY-----',
      expires_at: 1_767_225_900_000,
      algorithm: 'RSA',
      paddings: ['RSA-OAEP-256'],
      label: 'AAAAAAAAAAAAAAAAAAAAAAAA',
    };
    app.get(
      '/pk',
      {
        schema: {
          querystring: publicKeyQuerySchema,
          headers: publicKeyHeadersSchema,
          response: {
            200: {
              type: 'object',
              properties: { code: { type: 'integer' }, data: publicKeyDataSchema },
            },
          },
        },
      },
      async () => ({ code: 200, data: { ...data, secret: 'not serialized' } }),
    );
    const get = (url: string, sid?: string) =>
      app.inject({ method: 'GET', url, headers: sid === undefined ? {} : { 'x-session-id': sid } });
    const ok = await get('/pk?alg=RSA-OAEP-256', '1641895200000_abc def');
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ code: 200, data });
    expect((await get('/pk')).statusCode).toBe(200);
    expect((await get('/pk?alg=RSA1_5')).statusCode).toBe(200);
    expect((await get('/pk?alg=none')).statusCode).toBe(400);
    expect((await get('/pk', 'x'.repeat(129))).statusCode).toBe(400);
    expect((await get('/pk', 'x'.repeat(128))).statusCode).toBe(200);
    expect((await get('/pk', 'ünï')).statusCode).toBe(400);
    await app.close();
  });
});
