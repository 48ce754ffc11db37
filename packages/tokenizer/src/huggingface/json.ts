/** Small validators for tokenizer.json that throw TokenizerFormatError naming the JSON path. */
import { TokenizerFormatError } from '../errors.js';

export type JsonObject = Record<string, unknown>;

/** Throw a TokenizerFormatError whose message starts with the JSON path. */
export function formatError(path: string, message: string): never {
  throw new TokenizerFormatError(`${path}: ${message}`, path);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

export function asObject(value: unknown, path: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    formatError(path, `expected an object, got ${describe(value)}`);
  }
  return value as JsonObject;
}

export function asArray(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) formatError(path, `expected an array, got ${describe(value)}`);
  return value;
}

export function asString(value: unknown, path: string): string {
  if (typeof value !== 'string') formatError(path, `expected a string, got ${describe(value)}`);
  return value;
}

export function asNumber(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) formatError(path, `expected a number, got ${describe(value)}`);
  return value;
}

export function asId(value: unknown, path: string): number {
  const n = asNumber(value, path);
  if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) formatError(path, `expected a non-negative integer id, got ${n}`);
  return n;
}

export function asBoolean(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') formatError(path, `expected a boolean, got ${describe(value)}`);
  return value;
}

export function optString(obj: JsonObject, key: string, path: string, fallback: string | null): string | null {
  const v = obj[key];
  if (v === undefined || v === null) return fallback;
  return asString(v, `${path}.${key}`);
}

export function optBoolean(obj: JsonObject, key: string, path: string, fallback: boolean): boolean {
  const v = obj[key];
  if (v === undefined || v === null) return fallback;
  return asBoolean(v, `${path}.${key}`);
}

export function optNumber(obj: JsonObject, key: string, path: string, fallback: number): number {
  const v = obj[key];
  if (v === undefined || v === null) return fallback;
  return asNumber(v, `${path}.${key}`);
}

/** A registry keyed by the JSON `type`, used for every component family. */
export class ComponentRegistry<T> {
  private readonly builders = new Map<string, (json: JsonObject, path: string) => T>();
  constructor(readonly family: string) {}
  register(type: string, build: (json: JsonObject, path: string) => T): void {
    this.builders.set(type, build);
  }
  get supported(): string[] {
    return [...this.builders.keys()].sort();
  }
  build(value: unknown, path: string): T {
    const json = asObject(value, path);
    const type = asString(json.type, `${path}.type`);
    const build = this.builders.get(type);
    if (!build) {
      formatError(`${path}.type`, `unsupported ${this.family} type ${JSON.stringify(type)}; supported: ${this.supported.join(', ')}`);
    }
    return build(json, path);
  }
}
