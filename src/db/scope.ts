import {
  AliasNode,
  BinaryOperationNode,
  ColumnNode,
  type DeleteQueryNode,
  IdentifierNode,
  InsertQueryNode,
  OperationNodeTransformer,
  OperatorNode,
  PrimitiveValueListNode,
  QueryNode,
  ReferenceNode,
  type SelectQueryNode,
  TableNode,
  type UpdateQueryNode,
  ValueListNode,
  ValueNode,
  ValuesNode,
  type Kysely,
  type KyselyPlugin,
  type OperationNode,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type Transaction,
  type UnknownRow,
} from 'kysely';
import type { Database } from './types.js';

/**
 * A tenant's id. Branded: only the tenant registry, the request's resolution
 * and DEFAULT_TENANT make one, so a user-typed string never reaches a query
 * as a scope by accident.
 */
export type TenantId = string & { readonly __tenant: unique symbol };

/** The implicit tenant of a single-tenant deployment. */
export const DEFAULT_TENANT = 'default' as TenantId;

/** Tenant ids: lower-case letters, digits and inner hyphens, 1 to 63 characters (a DNS label). */
const TENANT_ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Checks a tenant id's form (not that the tenant exists). */
export function asTenantId(raw: string): TenantId | undefined {
  return TENANT_ID_PATTERN.test(raw) ? (raw as TenantId) : undefined;
}

/** Every table whose rows belong to one tenant (column `tenant_id`). A feature's tenant table goes here with its migration. */
const TENANT_TABLES: ReadonlySet<string> = new Set([
  'users',
  'roles',
  'role_permissions',
  'user_roles',
  'signing_keys',
  'sessions',
  'refresh_tokens',
  'revocations',
  'settings',
  'audit_events',
  'known_devices',
  'mail_queue',
  'mfa_totp',
  'mfa_recovery_codes',
  'mfa_tickets',
  'credential_tokens',
  'user_identities',
  'oauth_providers',
  'oauth_states',
  'oauth_codes',
  'wechat_apps',
]);

type Q = Kysely<Database> | Transaction<Database>;

function tableName(node: OperationNode | undefined): string | undefined {
  if (!node) return undefined;
  if (TableNode.is(node)) return node.table.identifier.name;
  if (AliasNode.is(node)) return tableName(node.node);
  return undefined;
}

/** `<table or alias>.tenant_id`, the reference a predicate names. */
function tenantRef(node: OperationNode): ReferenceNode {
  if (AliasNode.is(node) && IdentifierNode.is(node.alias))
    return ReferenceNode.create(ColumnNode.create('tenant_id'), TableNode.create(node.alias.name));
  return ReferenceNode.create(ColumnNode.create('tenant_id'), node as TableNode);
}

/** The message of every refusal: a query reached a tenant table without a scope. */
export const UNSCOPED = 'unscoped query on a tenant table';

/**
 * Adds `tenant_id = <tenant>` to every select, update and delete that reads a
 * tenant table (subqueries included), and the `tenant_id` column to every
 * insert into one. A query that names `tenant_id` itself is refused: the
 * scope is the only writer of that column.
 */
class ScopeTransformer extends OperationNodeTransformer {
  constructor(private readonly tenant: unknown) {
    super();
  }

  private predicate(table: OperationNode) {
    return BinaryOperationNode.create(
      tenantRef(table),
      OperatorNode.create('='),
      ValueNode.create(this.tenant),
    );
  }

  protected override transformSelectQuery(node: SelectQueryNode): SelectQueryNode {
    let out = super.transformSelectQuery(node);
    for (const f of out.from?.froms ?? [])
      if (TENANT_TABLES.has(tableName(f) ?? ''))
        out = QueryNode.cloneWithWhere(out, this.predicate(f));
    if (out.joins?.length) throw new Error(`${UNSCOPED}: joins are not scoped; query each table`);
    return out;
  }

  protected override transformUpdateQuery(node: UpdateQueryNode): UpdateQueryNode {
    let out = super.transformUpdateQuery(node);
    if (out.table && TENANT_TABLES.has(tableName(out.table) ?? ''))
      out = QueryNode.cloneWithWhere(out, this.predicate(out.table));
    if (out.from || out.joins?.length)
      throw new Error(`${UNSCOPED}: update ... from is not scoped`);
    return out;
  }

  protected override transformDeleteQuery(node: DeleteQueryNode): DeleteQueryNode {
    let out = super.transformDeleteQuery(node);
    for (const f of out.from.froms)
      if (TENANT_TABLES.has(tableName(f) ?? ''))
        out = QueryNode.cloneWithWhere(out, this.predicate(f));
    if (out.using || out.joins?.length)
      throw new Error(`${UNSCOPED}: delete ... using is not scoped`);
    return out;
  }

  protected override transformInsertQuery(node: InsertQueryNode): InsertQueryNode {
    const out = super.transformInsertQuery(node);
    if (!TENANT_TABLES.has(tableName(out.into) ?? '')) return out;
    const columns = out.columns ?? [];
    if (columns.some((c) => c.column.name === 'tenant_id'))
      throw new Error(`${UNSCOPED}: an insert names tenant_id itself`);
    if (!out.values || !ValuesNode.is(out.values))
      throw new Error(`${UNSCOPED}: insert ... select is not scoped`);
    const values = ValuesNode.create(
      out.values.values.map((row) =>
        PrimitiveValueListNode.is(row)
          ? PrimitiveValueListNode.create([...row.values, this.tenant])
          : ValueListNode.create([...row.values, ValueNode.create(this.tenant)]),
      ),
    );
    return InsertQueryNode.cloneWith(out, {
      columns: [...columns, ColumnNode.create('tenant_id')],
      values,
    });
  }
}

class TenantScope implements KyselyPlugin {
  private readonly t: ScopeTransformer;
  constructor(tenant: unknown) {
    this.t = new ScopeTransformer(tenant);
  }
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.t.transformNode(args.node);
  }
  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(args.result);
  }
}

/** Collects the tables a query touches, at any depth. */
class TableCollector extends OperationNodeTransformer {
  readonly tables = new Set<string>();
  protected override transformTable(node: TableNode): TableNode {
    this.tables.add(node.table.identifier.name);
    return node;
  }
}

/**
 * The plugin of the unscoped Kysely: any query that touches a tenant table
 * throws. Stores scope with scoped(); jobs that work across tenants say so
 * with allTenants().
 */
class RequireScope implements KyselyPlugin {
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    const c = new TableCollector();
    c.transformNode(args.node);
    for (const t of c.tables) if (TENANT_TABLES.has(t)) throw new Error(`${UNSCOPED}: ${t}`);
    return args.node;
  }
  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(args.result);
  }
}

const scopes = new Map<unknown, TenantScope>();
/** Every tenant id a scope was made for (one short string per tenant). */
const scopedTenants = new Set<string>();
const MAX_SCOPES = 4096;

function scopeOf(tenant: unknown): TenantScope {
  // Prepared queries (db/prepared.ts) pass a placeholder object: never cached.
  if (typeof tenant !== 'string') return new TenantScope(tenant);
  let s = scopes.get(tenant);
  if (!s) {
    // Bounded; an evicted tenant's scope is simply made again.
    if (scopes.size >= MAX_SCOPES) scopes.delete(scopes.keys().next().value);
    s = new TenantScope(tenant);
    scopes.set(tenant, s);
    scopedTenants.add(tenant);
  }
  return s;
}

/**
 * Whether a compiled parameter is the tenant a scope wrote into the query.
 * prepared() refuses constants (they would be frozen into every run) except
 * this one: a store built on a scope serves that tenant for its whole life.
 */
export function isScopeTenant(value: unknown): boolean {
  return typeof value === 'string' && scopedTenants.has(value);
}

/**
 * `q` limited to one tenant: every query through it reads and writes that
 * tenant's rows only. Works on a transaction too (the result shares it).
 */
function scoped<T extends Q>(q: T, tenant: TenantId): T {
  if (typeof tenant === 'string' && !TENANT_ID_PATTERN.test(tenant))
    throw new Error(`${UNSCOPED}: "${String(tenant)}" is not a tenant id`);
  return q.withoutPlugins().withPlugin(scopeOf(tenant)) as T;
}

/** The same transaction, scoped to `tenant` (a batch that spans tenants in one commit). */
export function rescope(tx: Transaction<Database>, tenant: TenantId): Transaction<Database> {
  return scoped(tx, tenant);
}

/**
 * `q` across every tenant, for the few jobs that must (retention, the
 * revocation poll, deleting a tenant). `why` is for the reader.
 */
function allTenants<T extends Q>(q: T, why: string): T {
  void why;
  return q.withoutPlugins() as T;
}

/** The database as the services see it: one tenant at a time, or all of them on purpose. */
export interface TenantSql {
  /** One tenant's rows (see scoped()). */
  scope(tenant: TenantId): Kysely<Database>;
  /** Every tenant's rows, for jobs that must (see allTenants()). */
  all(why: string): Kysely<Database>;
  /** Refuses any query on a tenant table: for the tables that belong to no tenant (secrets, leases). */
  readonly shared: Kysely<Database>;
}

export function tenantSql(k: Kysely<Database>): TenantSql {
  const guarded = k.withPlugin(new RequireScope());
  // One Kysely per tenant, kept: a store built twice for a tenant shares it.
  const byTenant = new Map<TenantId, Kysely<Database>>();
  const every = allTenants(guarded, 'made once, handed to every caller of all()');
  return {
    scope: (t) => {
      let q = byTenant.get(t);
      if (!q) {
        if (byTenant.size >= MAX_SCOPES) byTenant.delete(byTenant.keys().next().value!);
        byTenant.set(t, (q = scoped(guarded, t)));
      }
      return q;
    },
    all: (why) => (void why, every),
    shared: guarded,
  };
}
