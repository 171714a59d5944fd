import type { IncomingMessage } from 'node:http';
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
} from 'fastify';
import { DEFAULT_TENANT, asTenantId, type TenantId } from '../db/scope.js';
import type { TenantServices } from '../feature/contract.js';
import '../contract/tenant-routes.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The tenant the request names (resolved before any other work). */
    tenant: TenantId;
    /** That tenant's services. */
    tenantServices: TenantServices;
  }
}
import { TesseraError } from '../lib/errors.js';
import type { TenantRegistry } from '../tenancy/registry.js';

const TENANT_HEADER = 'x-tessera-tenant';
type Way = 'host' | 'header' | 'path';
const WAYS: readonly Way[] = ['host', 'header', 'path'];
const PREFIX = /^\/t\/([^/?#]{1,64})(?=[/?#]|$)/;
/** Where rewriteUrl leaves the tenant named by the path prefix. */
const PATH_TENANT = Symbol('tessera.pathTenant');

export interface TenantResolution {
  ways: ReadonlySet<Way>;
  hosts: ReadonlyMap<string, string>;
}

/** Reads TESSERA_TENANT_RESOLUTION and TESSERA_TENANT_HOSTS; a wrong value stops the start. */
export function tenantResolution(cfg: {
  tenantResolution: readonly string[];
  tenantHosts: readonly string[];
}): TenantResolution {
  const ways = new Set<Way>();
  for (const w of cfg.tenantResolution) {
    if (!WAYS.includes(w as Way))
      throw new Error(`TESSERA_TENANT_RESOLUTION: "${w}" is not one of ${WAYS.join(', ')}`);
    ways.add(w as Way);
  }
  const hosts = new Map<string, string>();
  for (const pair of cfg.tenantHosts) {
    const [host, tenant, ...rest] = pair.split('=').map((s) => s.trim());
    if (!host || !tenant || rest.length || !asTenantId(tenant))
      throw new Error(
        `TESSERA_TENANT_HOSTS: "${pair}" is not host=tenant (example: acme.example.com=acme)`,
      );
    hosts.set(host.toLowerCase(), tenant);
  }
  if (hosts.size) ways.add('host');
  return { ways, hosts };
}

/**
 * Fastify's rewriteUrl: `/t/<tenant>/api/...` is routed as `/api/...`, the
 * tenant kept on the raw request for the hook below. Off unless `path` is a
 * way in force.
 */
export function tenantPathRewriter(r: TenantResolution) {
  if (!r.ways.has('path')) return undefined;
  return (req: IncomingMessage): string => {
    const url = req.url ?? '/';
    const m = PREFIX.exec(url);
    if (!m) return url;
    (req as unknown as Record<symbol, string>)[PATH_TENANT] = m[1]!;
    const rest = url.slice(m[0].length);
    return rest.startsWith('/') ? rest : `/${rest}`;
  };
}

/** What the request names, by the ways in force: path, then header, then host. Undefined = default. */
function named(req: FastifyRequest, r: TenantResolution): string | undefined {
  if (r.ways.has('path')) {
    const p = (req.raw as unknown as Record<symbol, string | undefined>)[PATH_TENANT];
    if (p !== undefined) return p;
  }
  if (r.ways.has('header')) {
    const h = req.headers[TENANT_HEADER];
    if (typeof h === 'string' && h.length) return h;
    if (Array.isArray(h)) return '\u0000'; // two headers: refused, never guessed
  }
  if (r.ways.has('host') && r.hosts.size) {
    const host = (req.headers.host ?? '').toLowerCase().replace(/:\d+$/, '');
    const t = r.hosts.get(host);
    if (t) return t;
  }
  return undefined;
}

/**
 * The first hook of every request: the tenant it names must exist and be
 * active (404 TENANT_NOT_FOUND otherwise, before any other work), and the
 * route must serve tenants unless it is the default one. The tenant's
 * services are in memory after its first request: no I/O in the steady state.
 */
export function installTenantResolution(
  app: FastifyInstance,
  d: {
    resolution: TenantResolution;
    registry: TenantRegistry;
    forTenant: (t: TenantId) => Promise<TenantServices>;
    defaultServices: TenantServices;
  },
): void {
  app.decorateRequest('tenant', DEFAULT_TENANT);
  app.decorateRequest('tenantServices', null as unknown as TenantServices);
  // Callback style: the default tenant's requests (most of them) cost no promise.
  app.addHook(
    'onRequest',
    (req: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
      const raw = named(req, d.resolution);
      if (raw === undefined || raw === DEFAULT_TENANT) {
        req.tenant = DEFAULT_TENANT;
        req.tenantServices = d.defaultServices;
        return done();
      }
      const t = d.registry.active(raw);
      if (!t) return done(new TesseraError('TENANT_NOT_FOUND'));
      if (!req.routeOptions.config?.tenants) return done(new TesseraError('NOT_FOUND'));
      req.tenant = t;
      d.forTenant(t).then(
        (svc) => {
          req.tenantServices = svc;
          done();
        },
        (e: unknown) => done(e as Error),
      );
    },
  );
}
