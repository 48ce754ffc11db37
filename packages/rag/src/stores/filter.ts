/**
 * Metadata filters: one semantics, two implementations. `matchesFilter` evaluates a filter on a
 * metadata object (memory and HNSW stores); `compileFilterToSql` turns the same filter into a SQL
 * condition on a `jsonb` column with every value passed as a bind parameter (PgVectorStore).
 *
 * Semantics (identical in both):
 * - `{ key: value }` and `{ key: { $eq: value } }`: the field exists and is deep-equal to `value`
 *   (JSON equality: object key order does not matter, `1` equals `1.0`). `null` matches an explicit null only.
 * - `$ne`: not `$eq` (a missing field matches).
 * - `$gt $gte $lt $lte`: with a number, the field is a number and compares; with a string, the field
 *   is a string and compares by code point order (SQL uses `COLLATE "C"`). Other types never match.
 * - `$in`: deep-equal to one of the values (an empty list matches nothing); `$nin`: to none (a missing field matches).
 * - `$and: [f, ...]` all match (empty: true); `$or: [f, ...]` one matches (empty: false).
 * - Several keys, or several operators on one key, are combined with AND.
 * Keys are literal top-level metadata keys (no dotted paths).
 */
import type { FilterOperators, Metadata, MetadataFilter, MetadataValue } from '../types.js';
import { VectorStoreError } from '../types.js';

const COMPARISON = new Set(['$gt', '$gte', '$lt', '$lte']);
const OPERATORS = new Set(['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin']);

function invalid(message: string): VectorStoreError {
  return new VectorStoreError('invalid_filter', message);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isOperatorObject(v: unknown, path: string): v is FilterOperators {
  if (!isPlainObject(v)) return false;
  const keys = Object.keys(v);
  const ops = keys.filter((k) => k.startsWith('$'));
  if (ops.length === 0) return false;
  if (ops.length !== keys.length) {
    throw invalid(`Filter at ${path} mixes operators (${ops.join(', ')}) with plain keys; use either { $op: value } or a plain value for equality.`);
  }
  for (const k of ops) {
    if (!OPERATORS.has(k)) throw invalid(`Unknown filter operator ${k} at ${path}; supported: ${[...OPERATORS].join(' ')}, and $and/$or at the top of a filter.`);
  }
  return true;
}

/** JSON deep equality (jsonb semantics: object key order ignored). */
export function jsonEqual(a: MetadataValue | undefined, b: MetadataValue | undefined): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return false;
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k) || !jsonEqual(a[k], b[k])) return false;
  }
  return true;
}

function checkComparable(op: string, v: unknown, path: string): number | string {
  if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'string') return v;
  throw invalid(`Filter ${op} at ${path} needs a finite number or a string, got ${JSON.stringify(v)}.`);
}

function checkList(op: string, v: unknown, path: string): MetadataValue[] {
  if (!Array.isArray(v)) throw invalid(`Filter ${op} at ${path} needs an array of values, got ${JSON.stringify(v)}.`);
  return v as MetadataValue[];
}

function checkLogical(op: string, v: unknown, path: string): MetadataFilter[] {
  if (!Array.isArray(v) || !v.every(isPlainObject)) {
    throw invalid(`Filter ${op} at ${path} needs an array of filter objects, got ${JSON.stringify(v)}.`);
  }
  return v as MetadataFilter[];
}

function compare(op: string, field: MetadataValue | undefined, v: number | string): boolean {
  if (typeof field !== typeof v) return false;
  const f = field as number | string;
  switch (op) {
    case '$gt':
      return f > v;
    case '$gte':
      return f >= v;
    case '$lt':
      return f < v;
    default:
      return f <= v;
  }
}

function matchOperators(field: MetadataValue | undefined, ops: FilterOperators, path: string): boolean {
  for (const [op, v] of Object.entries(ops) as Array<[string, unknown]>) {
    let ok: boolean;
    if (op === '$eq') ok = jsonEqual(field, v as MetadataValue);
    else if (op === '$ne') ok = !jsonEqual(field, v as MetadataValue);
    else if (COMPARISON.has(op)) ok = compare(op, field, checkComparable(op, v, path));
    else if (op === '$in') ok = checkList(op, v, path).some((x) => jsonEqual(field, x));
    else ok = !checkList(op, v, path).some((x) => jsonEqual(field, x));
    if (!ok) return false;
  }
  return true;
}

/**
 * True when `metadata` matches `filter` (see the module comment for the semantics).
 * @throws {VectorStoreError} `invalid_filter` for an unknown operator or a malformed operand.
 * @example matchesFilter({ page: 3 }, { page: { $gte: 2 } }) // true
 */
export function matchesFilter(metadata: Metadata, filter: MetadataFilter, path = 'filter'): boolean {
  if (!isPlainObject(filter)) throw invalid(`${path} must be an object such as { source: "a.md" }, got ${JSON.stringify(filter)}.`);
  for (const [key, value] of Object.entries(filter)) {
    const p = `${path}.${key}`;
    if (key === '$and') {
      if (!checkLogical(key, value, p).every((f, i) => matchesFilter(metadata, f, `${p}[${i}]`))) return false;
    } else if (key === '$or') {
      if (!checkLogical(key, value, p).some((f, i) => matchesFilter(metadata, f, `${p}[${i}]`))) return false;
    } else if (key.startsWith('$')) {
      throw invalid(`Unknown filter key ${key} at ${path}; only $and and $or may appear where field names go.`);
    } else {
      const field = Object.prototype.hasOwnProperty.call(metadata, key) ? metadata[key] : undefined;
      if (isOperatorObject(value, p)) {
        if (!matchOperators(field, value, p)) return false;
      } else if (!jsonEqual(field, value as MetadataValue)) return false;
    }
  }
  return true;
}

/** Validates a filter (throws on the same malformed input `matchesFilter` would), without a document. */
export function validateFilter(filter: MetadataFilter): void {
  compileFilterToSql(filter, 'metadata', 1);
}

/** A SQL condition and its parameters, numbered from the `firstParam` given to {@link compileFilterToSql}. */
export interface CompiledFilter {
  sql: string;
  params: Array<string | number>;
}

/**
 * Compile a filter to a SQL boolean expression on the jsonb column `column` (an already-quoted
 * identifier chosen by the store, never user input). Values and keys become `$n` parameters.
 * @throws {VectorStoreError} `invalid_filter` for malformed filters.
 * @example compileFilterToSql({ page: { $gt: 2 } }, 'metadata', 3) // { sql: "(CASE WHEN jsonb_typeof(metadata->$3) ...", params: ['page', 2] }
 */
export function compileFilterToSql(filter: MetadataFilter, column: string, firstParam: number): CompiledFilter {
  const params: Array<string | number> = [];
  const param = (v: string | number): string => {
    params.push(v);
    return `$${firstParam + params.length - 1}`;
  };
  const jsonParam = (v: MetadataValue): string => `${param(JSON.stringify(v))}::jsonb`;

  const compileObject = (f: MetadataFilter, path: string): string => {
    if (!isPlainObject(f)) throw invalid(`${path} must be an object such as { source: "a.md" }, got ${JSON.stringify(f)}.`);
    const parts: string[] = [];
    for (const [key, value] of Object.entries(f)) {
      const p = `${path}.${key}`;
      if (key === '$and' || key === '$or') {
        const subs = checkLogical(key, value, p).map((s, i) => compileObject(s, `${p}[${i}]`));
        if (subs.length === 0) parts.push(key === '$and' ? 'TRUE' : 'FALSE');
        else parts.push(`(${subs.join(key === '$and' ? ' AND ' : ' OR ')})`);
        continue;
      }
      if (key.startsWith('$')) throw invalid(`Unknown filter key ${key} at ${path}; only $and and $or may appear where field names go.`);
      // A fresh parameter per use, so parameters are only created for conditions that use them.
      const field = (): string => `${column}->${param(key)}::text`;
      if (!isOperatorObject(value, p)) {
        parts.push(`(${field()} = ${jsonParam(value as MetadataValue)}) IS TRUE`);
        continue;
      }
      for (const [op, v] of Object.entries(value) as Array<[string, unknown]>) {
        if (op === '$eq') parts.push(`(${field()} = ${jsonParam(v as MetadataValue)}) IS TRUE`);
        else if (op === '$ne') parts.push(`(${field()} = ${jsonParam(v as MetadataValue)}) IS NOT TRUE`);
        else if (COMPARISON.has(op)) {
          const c = checkComparable(op, v, p);
          const sqlOp = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' }[op as '$gt'];
          const text = `${column}->>${param(key)}::text`;
          parts.push(
            typeof c === 'number'
              ? `(CASE WHEN jsonb_typeof(${field()}) = 'number' THEN (${text})::float8 ${sqlOp} ${param(String(c))}::float8 ELSE FALSE END)`
              : `(CASE WHEN jsonb_typeof(${field()}) = 'string' THEN (${text}) COLLATE "C" ${sqlOp} ${param(c)}::text COLLATE "C" ELSE FALSE END)`,
          );
        } else {
          const list = checkList(op, v, p);
          if (list.length === 0) {
            parts.push(op === '$in' ? 'FALSE' : 'TRUE');
            continue;
          }
          const any = `(${field()} IN (${list.map((x) => jsonParam(x)).join(', ')}))`;
          parts.push(op === '$in' ? `${any} IS TRUE` : `${any} IS NOT TRUE`);
        }
      }
    }
    return parts.length === 0 ? 'TRUE' : `(${parts.join(' AND ')})`;
  };
  return { sql: compileObject(filter, 'filter'), params };
}
