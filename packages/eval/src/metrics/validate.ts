/** Boundary checks shared by the metrics; each throws an {@link EvalError} naming the input and the fix. */
import { EvalError } from '../errors.js';

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '...' : value)}`;
  return `${typeof value} ${String(value)}`;
}

export function assertString(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string') {
    throw new EvalError('eval_invalid_option', `${name} must be a string, got ${describe(value)}; pass the text itself.`);
  }
}

export function assertStringArray(value: unknown, name: string, { allowNull = false } = {}): asserts value is readonly string[] {
  if (!Array.isArray(value)) {
    throw new EvalError('eval_invalid_option', `${name} must be an array of strings, got ${describe(value)}.`);
  }
  for (let i = 0; i < value.length; i++) {
    const v = value[i];
    if (typeof v !== 'string' && !(allowNull && v === null)) {
      throw new EvalError(
        'eval_invalid_option',
        `${name}[${i}] must be a string${allowNull ? ' (or null for a missing reference)' : ''}, got ${describe(v)}.`,
      );
    }
  }
}

export function assertNonEmpty(value: readonly unknown[], name: string): void {
  if (value.length === 0) {
    throw new EvalError('eval_empty_input', `${name} is empty; a corpus-level metric needs at least one item.`);
  }
}

export function assertSameLength(a: readonly unknown[], aName: string, b: readonly unknown[], bName: string): void {
  if (a.length !== b.length) {
    throw new EvalError(
      'eval_length_mismatch',
      `${bName} has ${b.length} items but ${aName} has ${a.length}; they must be parallel (item i of one belongs to item i of the other).`,
    );
  }
}

export function assertInteger(value: unknown, name: string, min: number, max = Number.MAX_SAFE_INTEGER): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new EvalError('eval_invalid_option', `${name} must be an integer ${range}, got ${describe(value)}.`);
  }
}

export function assertFiniteNumber(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new EvalError('eval_invalid_option', `${name} must be a finite number, got ${describe(value)}.`);
  }
}

export function assertOneOf<T extends string>(value: unknown, name: string, allowed: readonly T[]): asserts value is T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new EvalError(
      'eval_invalid_option',
      `${name} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${describe(value)}.`,
    );
  }
}

export function assertKnownKeys(options: object | undefined, name: string, known: readonly string[]): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new EvalError('eval_invalid_option', `${name} must be an object, got ${describe(options)}.`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new EvalError('eval_invalid_option', `${name} has an unknown option "${key}"; known options: ${known.join(', ')}.`);
    }
  }
}
