/**
 * A small strict JSON parser for safetensors headers. `JSON.parse` is not
 * enough: it keeps the last of duplicate keys silently and turns integers above
 * 2^53 into nearby wrong values, both of which would let a corrupt header read
 * as valid. This parser keeps object key order, reports duplicate keys, keeps
 * number literals as written, and bounds nesting depth so a hostile header
 * cannot overflow the stack.
 */

/** A JSON number as written (`raw`) and as a double (`value`). */
export class JsonNumber {
  constructor(
    readonly raw: string,
    readonly value: number,
  ) {}

  /** True for a plain non-negative integer literal (no sign, fraction or exponent) that is a safe integer. */
  isIndex(): boolean {
    return /^(0|[1-9][0-9]*)$/.test(this.raw) && Number.isSafeInteger(this.value);
  }
}

export type JsonValue = string | boolean | null | JsonNumber | JsonValue[] | JsonObject;
/** A JSON object with its keys in file order. */
export type JsonObject = Map<string, JsonValue>;

/** Thrown by {@link parseStrictJson}; the caller wraps it into a SafetensorsError. */
export class JsonSyntaxError extends Error {
  /** Set when the error is a repeated object key. */
  duplicateKey?: string;
}

const MAX_DEPTH = 64;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

/** Parse `text` as one JSON value followed only by whitespace. */
export function parseStrictJson(text: string): JsonValue {
  let pos = 0;

  const fail = (what: string): never => {
    throw new JsonSyntaxError(`${what} at character ${pos}`);
  };
  const skipWhitespace = () => {
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) pos++;
      else break;
    }
  };

  const parseString = (): string => {
    const start = pos;
    pos++; // opening quote
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        pos++;
        // The literal is delimited; JSON.parse validates escapes and rejects raw control characters.
        try {
          return JSON.parse(text.slice(start, pos)) as string;
        } catch {
          pos = start;
          return fail('invalid string literal');
        }
      }
      pos += c === 0x5c ? 2 : 1;
    }
    pos = start;
    return fail('unterminated string');
  };

  const parseValue = (depth: number): JsonValue => {
    if (depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH}`);
    skipWhitespace();
    if (pos >= text.length) fail('unexpected end of input');
    const c = text[pos];
    if (c === '{') {
      pos++;
      const object: JsonObject = new Map();
      skipWhitespace();
      if (text[pos] === '}') {
        pos++;
        return object;
      }
      for (;;) {
        skipWhitespace();
        if (text[pos] !== '"') fail('expected a string key');
        const keyPos = pos;
        const key = parseString();
        if (object.has(key)) {
          const error = new JsonSyntaxError(`duplicate key ${JSON.stringify(key)} at character ${keyPos}`);
          error.duplicateKey = key;
          throw error;
        }
        skipWhitespace();
        if (text[pos] !== ':') fail("expected ':'");
        pos++;
        object.set(key, parseValue(depth + 1));
        skipWhitespace();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] === '}') {
          pos++;
          return object;
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      pos++;
      const array: JsonValue[] = [];
      skipWhitespace();
      if (text[pos] === ']') {
        pos++;
        return array;
      }
      for (;;) {
        array.push(parseValue(depth + 1));
        skipWhitespace();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] === ']') {
          pos++;
          return array;
        }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return parseString();
    if (text.startsWith('true', pos)) {
      pos += 4;
      return true;
    }
    if (text.startsWith('false', pos)) {
      pos += 5;
      return false;
    }
    if (text.startsWith('null', pos)) {
      pos += 4;
      return null;
    }
    NUMBER.lastIndex = pos;
    const match = NUMBER.exec(text);
    if (match === null) return fail(`unexpected character ${JSON.stringify(c)}`);
    pos += match[0].length;
    return new JsonNumber(match[0], Number(match[0]));
  };

  const value = parseValue(0);
  skipWhitespace();
  if (pos !== text.length) fail('unexpected data after the JSON value');
  return value;
}

/** Short human description of a JSON value's kind, for error messages. */
export function describeJson(value: JsonValue): string {
  if (value === null) return 'null';
  if (value instanceof JsonNumber) return `number ${value.raw}`;
  if (value instanceof Map) return 'an object';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  return String(value);
}
