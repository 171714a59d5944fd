/**
 * Integers a client may send (query, path, body), as JSON schemas.
 *
 * Ajv coerces "1e999", "Infinity" and "-Infinity" to ±Infinity without
 * checking finiteness again (ajv#2212, fastify#6718), so `type: 'integer'`
 * alone lets them through to SQL. The app's Ajv runs with strictNumbers off
 * (src/app.ts) so minimum/maximum judge ±Infinity instead of skipping them:
 * a schema built here is therefore finite. Bounds are required, not optional.
 */

/** Largest id and count the SQL `integer` columns hold (PostgreSQL int4). */
const INT32_MAX = 2_147_483_647;

/** `{type: 'integer', minimum, maximum}`, plus `default` or `description` if given. */
export function int<const X extends { default?: number; description?: string }>(
  minimum: number,
  maximum: number,
  extra?: X,
) {
  if (!Number.isSafeInteger(minimum) || !Number.isSafeInteger(maximum) || minimum > maximum) {
    throw new Error(
      `int(${minimum}, ${maximum}): bounds must be safe integers, minimum <= maximum`,
    );
  }
  return { type: 'integer' as const, minimum, maximum, ...extra };
}

/** A row id in a path or filter: 1..INT32_MAX. */
export const idSchema = int(1, INT32_MAX);

/** `page` and `page_size` of a listing; page_size defaults per listing. */
export const pageSchema = int(1, 1_000_000, { default: 1 });
export const pageSizeSchema = (defaultSize: number) => int(1, 200, { default: defaultSize });
