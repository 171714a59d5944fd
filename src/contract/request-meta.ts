import type { FastifyRequest } from 'fastify';
import type { RequestMeta } from './meta.js';

const DEVICE = /^[\x21-\x7e]{1,128}$/;

/** The audit facts of a request that ends sessions: who (an admin, when authenticated) and from where. */
export function actorMeta(req: FastifyRequest): {
  actorId: number | null;
  ip: string;
  userAgent: string | null;
  deviceId: string | null;
} {
  const m = requestMeta(req);
  return {
    actorId: req.auth ? Number(req.auth.sub) : null,
    ip: m.ip,
    userAgent: m.userAgent,
    deviceId: m.deviceId ?? null,
  };
}

/** Who is asking: client IP (X-Forwarded-For only from trusted proxies), user agent, device. */
export function requestMeta(
  req: FastifyRequest,
  body?: { device_id?: string | undefined; device_name?: string | undefined },
): RequestMeta {
  const headerDevice = req.headers['x-device-id'];
  const deviceId =
    body?.device_id ??
    (typeof headerDevice === 'string' && DEVICE.test(headerDevice) ? headerDevice : undefined);
  const ua = req.headers['user-agent'];
  return {
    ip: req.ip,
    userAgent: typeof ua === 'string' ? ua.slice(0, 512) : null,
    deviceId: deviceId ?? null,
    deviceName: body?.device_name ?? null,
  };
}
