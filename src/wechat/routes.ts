import type { FastifyInstance, FastifyRequest } from 'fastify';
import { envelope, LOGIN_ERRORS, ok, responses } from '../contract/reply.js';
import { actorMeta, requestMeta } from '../contract/request-meta.js';
import { servesTenants } from '../contract/tenant-routes.js';
import type { WechatApps } from './apps.js';
import {
  appData,
  appList,
  appParams,
  bindBody,
  bindData,
  loginBody,
  loginData,
  phoneBody,
  phoneData,
  putAppBody,
  unbindQuery,
} from './schemas.js';
import type { WechatLoginBody, WechatService } from './service.js';

const tags = ['WeChat'];
const security = [{ bearer: [] }];
export const WECHAT_MANAGE_PERMISSION = 'wechat:manage';
/** What any call to WeChat may answer besides its route's own errors. */
const upstream = [
  'WECHAT_NOT_CONFIGURED',
  'WECHAT_CODE_INVALID',
  'WECHAT_CODE_USED',
  'WECHAT_RATE_LIMITED',
  'WECHAT_UNAVAILABLE',
  'WECHAT_TIMEOUT',
  'RATE_LIMITED',
] as const;

/** The mini-program login, binding and phone number (API.md "WeChat"), and the tenant's apps (admin). */
export function wechatRoutes(d: { wechat: WechatService; apps: WechatApps }) {
  const { wechat } = d;
  return async function routes(app: FastifyInstance): Promise<void> {
    servesTenants(app);
    const me = (req: FastifyRequest) => Number(req.auth!.sub);

    app.post<{ Body: WechatLoginBody & { device_id?: string; device_name?: string } }>(
      '/public/auth/wechat/login',
      {
        schema: {
          tags,
          summary: 'Log in with the code of wx.login() (a first login creates the user)',
          body: loginBody,
          response: responses({ 200: envelope(loginData) }, [...LOGIN_ERRORS, ...upstream]),
        },
      },
      async (req, reply) => {
        const r = await wechat.login(req.tenantServices, req.body, requestMeta(req, req.body));
        return ok(
          req,
          reply,
          {
            ...r.result.tokens,
            new_user: r.result.answer?.new_user === true,
            ...(r.phoneError ? { phone_error: r.phoneError } : {}),
          },
          { message: 'LOGIN' },
        );
      },
    );

    app.post<{ Body: { code: string; app_id?: string } }>(
      '/auth/wechat',
      {
        config: { auth: 'jwt' },
        schema: {
          tags,
          security,
          summary: 'Bind the WeChat of a wx.login() code to the logged-in user',
          body: bindBody,
          response: responses({ 200: envelope(bindData) }, [
            'IDENTITY_IN_USE',
            'CONFLICT',
            ...upstream,
          ]),
        },
      },
      async (req, reply) => {
        const row = await wechat.bind(req.tenantServices, me(req), req.body, actorMeta(req));
        return ok(req, reply, {
          app_id: row.provider.slice('wechat-mp:'.length),
          bound_at: row.created_at,
        });
      },
    );

    app.delete<{ Querystring: { app_id?: string } }>(
      '/auth/wechat',
      {
        config: { auth: 'jwt' },
        schema: {
          tags,
          security,
          summary: 'Unbind WeChat (refused when it is the last way to log in)',
          querystring: unbindQuery,
          response: responses({ 200: envelope() }, ['NOT_FOUND', 'LAST_LOGIN_METHOD']),
        },
      },
      async (req, reply) => {
        await wechat.unbind(req.tenantServices, me(req), req.query.app_id, actorMeta(req));
        return ok(req, reply, null);
      },
    );

    app.post<{ Body: { code: string; app_id?: string } }>(
      '/auth/wechat/phone',
      {
        config: { auth: 'jwt' },
        schema: {
          tags,
          security,
          summary: 'Store the phone number of a getPhoneNumber code on the logged-in user',
          body: phoneBody,
          response: responses({ 200: envelope(phoneData) }, [...upstream]),
        },
      },
      async (req, reply) => {
        const phone = await wechat.phone(req.tenantServices, me(req), req.body, actorMeta(req));
        return ok(req, reply, { phone_number: phone });
      },
    );

    const admin = { auth: 'jwt', requires: WECHAT_MANAGE_PERMISSION } as const;
    app.get(
      '/admin/wechat/apps',
      {
        config: admin,
        schema: {
          tags,
          security,
          summary: "The tenant's WeChat mini-programs (never their secrets)",
          response: responses({ 200: envelope(appList) }),
        },
      },
      async (req, reply) => ok(req, reply, { items: await d.apps.list(req.tenant) }),
    );

    app.put<{ Params: { app_id: string }; Body: { secret: string } }>(
      '/admin/wechat/apps/:app_id',
      {
        config: admin,
        schema: {
          tags,
          security,
          summary:
            'Register a mini-program of the tenant, or replace its AppSecret (sealed at rest)',
          params: appParams,
          body: putAppBody,
          response: responses({ 200: envelope(appData) }, ['CONFLICT']),
        },
      },
      async (req, reply) =>
        ok(req, reply, await d.apps.put(req.tenant, req.params.app_id, req.body.secret)),
    );

    app.delete<{ Params: { app_id: string } }>(
      '/admin/wechat/apps/:app_id',
      {
        config: admin,
        schema: {
          tags,
          security,
          summary: 'Remove a mini-program of the tenant (its users stay; they cannot log in by it)',
          params: appParams,
          response: responses({ 200: envelope() }, ['NOT_FOUND', 'CONFLICT']),
        },
      },
      async (req, reply) => {
        await d.apps.remove(req.tenant, req.params.app_id);
        return ok(req, reply, null);
      },
    );
  };
}
