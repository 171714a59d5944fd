import { servesTenants } from '../contract/tenant-routes.js';
import type { FastifyInstance } from 'fastify';
import { envelope, ok, responses } from '../contract/reply.js';
import { PURPOSES, type CaptchaPurpose, type CaptchaProvider } from './provider.js';

const challengeView = {
  type: 'object',
  required: ['provider', 'purpose'],
  properties: {
    provider: { type: 'string', enum: ['altcha', 'turnstile'] },
    purpose: { type: 'string', enum: [...PURPOSES] },
    expires_at: {
      type: 'integer',
      description: 'altcha: epoch ms after which the solution is refused.',
    },
    challenge: {
      type: 'object',
      additionalProperties: true,
      description:
        'altcha: the ALTCHA v2 challenge ({ parameters, signature }); give it to the widget (challengejson) and post its payload as `captcha`.',
    },
    action: { type: 'string', description: 'turnstile: render the widget with this data-action.' },
  },
} as const;

/** `GET <ctx>/public/captcha/challenge?purpose=login|register`. */
export function captchaRoutes(provider: CaptchaProvider) {
  return async function routes(app: FastifyInstance): Promise<void> {
    // Challenges hold no tenant data (stateless, single-use solutions across the deployment).
    servesTenants(app);
    app.get<{ Querystring: { purpose: CaptchaPurpose } }>(
      '/public/captcha/challenge',
      {
        schema: {
          tags: ['encrypted-login client API'],
          summary:
            'A human-verification challenge for login or register; post its solution as `captcha`',
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: { purpose: { type: 'string', enum: [...PURPOSES], default: 'login' } },
          },
          response: responses({ 200: envelope(challengeView) }, ['RATE_LIMITED']),
        },
      },
      async (req, reply) => {
        reply.header('cache-control', 'no-store');
        return ok(req, reply, await provider.challenge(req.query.purpose));
      },
    );
  };
}
