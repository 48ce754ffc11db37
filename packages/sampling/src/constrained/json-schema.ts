/**
 * JSON Schema -> regex (the idea of Outlines' `build_regex_from_schema`).
 *
 * Whitespace policy: none. Output is compact JSON exactly as `JSON.stringify` writes it (no
 * spaces after `:` or `,`). Object properties come in declared order; optional ones may be
 * omitted; no additional properties are generated. Strings use unescaped characters except
 * `\"`, `\\` and `\/ \b \f \n \r \t` (no `\uXXXX`). Integers have at most 16 digits and numbers
 * at most 16 integer and 16 fraction digits and a 2-digit exponent, so every output parses to a
 * finite value.
 *
 * Supported keywords: type (string, number, integer, boolean, null, object, array, or a list of
 * these), properties, required, additionalProperties (ignored), items, minItems, maxItems, enum,
 * const, pattern, minLength, maxLength, anyOf, oneOf (alternatives should be disjoint), $ref to
 * `#/...` (non-recursive), and annotations (title, description, default, examples, $schema, $id,
 * $comment, $defs, definitions).
 */
import { InvalidArgumentError } from '@llmkit/core/errors';
import { escapeRegex } from './regex-parser.js';
import { regexToDfa } from './automaton.js';

const SUPPORTED = [
  'type', 'properties', 'required', 'additionalProperties', 'items', 'minItems', 'maxItems', 'enum',
  'const', 'pattern', 'minLength', 'maxLength', 'anyOf', 'oneOf', '$ref',
  'title', 'description', 'default', 'examples', '$schema', '$id', '$comment', '$defs', 'definitions',
];
const SUPPORTED_SET = new Set(SUPPORTED);

const STRING_CHAR = '(?:[^"\\\\\\x00-\\x1f]|\\\\["\\\\/bfnrt])';
const INTEGER = '-?(?:0|[1-9][0-9]{0,15})';
const NUMBER = `${INTEGER}(?:\\.[0-9]{1,16})?(?:[eE][+\\-]?[0-9]{1,2})?`;
const MAX_REF_DEPTH = 32;

type Schema = Record<string, unknown>;

function fail(message: string): never {
  throw new InvalidArgumentError(`jsonSchemaToRegex: ${message}`);
}

function count(schema: Schema, key: string): number | undefined {
  const v = schema[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail(`"${key}" must be a non-negative integer, got ${JSON.stringify(v)}.`);
  return v;
}

function literal(value: unknown): string {
  return escapeRegex(JSON.stringify(value));
}

function resolveRef(root: Schema, ref: string): Schema {
  if (!ref.startsWith('#')) fail(`only local "$ref" ("#/...") is supported, got ${JSON.stringify(ref)}.`);
  let cur: unknown = root;
  for (const part of ref.slice(1).split('/').filter((p) => p !== '')) {
    const key = decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~');
    cur = cur !== null && typeof cur === 'object' ? (cur as Schema)[key] : undefined;
  }
  if (cur === null || typeof cur !== 'object') fail(`"$ref" ${JSON.stringify(ref)} does not resolve to a schema.`);
  return cur as Schema;
}

function stringRegex(schema: Schema): string {
  const minLength = count(schema, 'minLength');
  const maxLength = count(schema, 'maxLength');
  if (typeof schema.pattern === 'string') {
    if (minLength !== undefined || maxLength !== undefined) fail('"pattern" together with "minLength"/"maxLength" is not supported.');
    let p = schema.pattern;
    if (p.startsWith('^')) p = p.slice(1);
    if (p.endsWith('$') && !p.endsWith('\\$')) p = p.slice(0, -1);
    // The pattern is embedded unescaped: it must never produce '"', '\' or control bytes.
    const dfa = regexToDfa(p);
    for (let s = 0; s < dfa.numStates; s++) {
      for (let b = 0; b < 256; b++) {
        if ((b < 0x20 || b === 0x22 || b === 0x5c) && dfa.transitions[s * 256 + b]! >= 0) {
          fail(`"pattern" ${JSON.stringify(schema.pattern)} can match '"', '\\' or a control character, which would need JSON escaping; not supported.`);
        }
      }
    }
    return `"(?:${p})"`;
  }
  if (schema.pattern !== undefined) fail('"pattern" must be a string.');
  if (minLength !== undefined || maxLength !== undefined) {
    const lo = minLength ?? 0;
    if (maxLength !== undefined && maxLength < lo) fail('"maxLength" is below "minLength".');
    return `"${STRING_CHAR}{${lo},${maxLength ?? ''}}"`;
  }
  return `"${STRING_CHAR}*"`;
}

function objectRegex(schema: Schema, root: Schema, depth: number): string {
  const props = (schema.properties ?? {}) as Record<string, Schema>;
  if (typeof props !== 'object' || Array.isArray(props)) fail('"properties" must be an object.');
  const required = new Set((schema.required ?? []) as string[]);
  const names = Object.keys(props);
  for (const r of required) if (!names.includes(r)) fail(`required property ${JSON.stringify(r)} has no schema in "properties".`);
  const items = names.map((name) => ({ re: `${literal(name)}:${toRegex(props[name]!, root, depth + 1)}`, req: required.has(name) }));
  // afterFirst[i]: items i.. once something was emitted (each needs a leading comma).
  const afterFirst: string[] = new Array(items.length + 1).fill('');
  for (let i = items.length - 1; i >= 0; i--) {
    const it = items[i]!;
    afterFirst[i] = (it.req ? `,${it.re}` : `(?:,${it.re})?`) + afterFirst[i + 1];
  }
  // first[i]: items i.. with nothing emitted yet.
  const first: string[] = new Array(items.length + 1).fill('');
  for (let i = items.length - 1; i >= 0; i--) {
    const it = items[i]!;
    const take = `${it.re}${afterFirst[i + 1]}`;
    first[i] = it.req ? take : first[i + 1] === '' ? `(?:${take})?` : `(?:${take}|${first[i + 1]})`;
  }
  return `\\{${first[0]}\\}`;
}

function arrayRegex(schema: Schema, root: Schema, depth: number): string {
  if (schema.items === undefined || typeof schema.items !== 'object' || Array.isArray(schema.items)) {
    fail('arrays need an "items" schema (tuple "items"/"prefixItems" are not supported).');
  }
  const item = toRegex(schema.items as Schema, root, depth + 1);
  const min = count(schema, 'minItems') ?? 0;
  const max = count(schema, 'maxItems');
  if (max !== undefined && max < min) fail('"maxItems" is below "minItems".');
  if (max === 0) return '\\[\\]';
  const rest = (lo: number) => `(?:,${item}){${lo},${max === undefined ? '' : max - 1}}`;
  if (min === 0) return `\\[(?:${item}${rest(0)})?\\]`;
  return `\\[${item}${rest(min - 1)}\\]`;
}

function typeRegex(type: string, schema: Schema, root: Schema, depth: number): string {
  switch (type) {
    case 'string': return stringRegex(schema);
    case 'number': return NUMBER;
    case 'integer': return INTEGER;
    case 'boolean': return '(?:true|false)';
    case 'null': return 'null';
    case 'object': return objectRegex(schema, root, depth);
    case 'array': return arrayRegex(schema, root, depth);
    default: return fail(`unknown "type" ${JSON.stringify(type)}; use string, number, integer, boolean, null, object or array.`);
  }
}

function toRegex(schema: unknown, root: Schema, depth: number): string {
  if (depth > MAX_REF_DEPTH) fail(`schema nested deeper than ${MAX_REF_DEPTH} levels (recursive "$ref" is not supported).`);
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) {
    fail(`a schema must be an object, got ${JSON.stringify(schema)} (boolean schemas are not supported).`);
  }
  const s = schema as Schema;
  const unknown = Object.keys(s).filter((k) => !SUPPORTED_SET.has(k));
  if (unknown.length > 0) {
    fail(`unsupported keyword(s) ${unknown.map((k) => JSON.stringify(k)).join(', ')}. Supported: ${SUPPORTED.join(', ')}.`);
  }
  if (typeof s.$ref === 'string') return toRegex(resolveRef(root, s.$ref), root, depth + 1);
  if (s.const !== undefined) return literal(s.const);
  if (s.enum !== undefined) {
    if (!Array.isArray(s.enum) || s.enum.length === 0) fail('"enum" must be a non-empty array.');
    return `(?:${s.enum.map(literal).join('|')})`;
  }
  for (const key of ['anyOf', 'oneOf'] as const) {
    if (s[key] !== undefined) {
      const alts = s[key];
      if (!Array.isArray(alts) || alts.length === 0) fail(`"${key}" must be a non-empty array of schemas.`);
      return `(?:${alts.map((a) => toRegex(a, root, depth + 1)).join('|')})`;
    }
  }
  if (Array.isArray(s.type)) return `(?:${s.type.map((t) => typeRegex(String(t), s, root, depth)).join('|')})`;
  if (typeof s.type === 'string') return typeRegex(s.type, s, root, depth);
  return fail('a schema needs "type", "enum", "const", "anyOf", "oneOf" or "$ref" (schemas allowing any JSON value are not supported).');
}

/**
 * Converts a JSON Schema (the subset in this module's docs) to a regex of this package's subset
 * whose matches are compact JSON documents valid under the schema.
 *
 * @throws InvalidArgumentError (`invalid_argument`) on unsupported keywords (the message lists the
 *   supported ones) or malformed schemas.
 * @example
 * jsonSchemaToRegex({ type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] });
 * // '\\{"ok":(?:true|false)\\}'
 */
export function jsonSchemaToRegex(schema: object): string {
  return toRegex(schema, schema as Schema, 0);
}
