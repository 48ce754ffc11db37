const MARKER = Symbol.for('llmkit.error');

/** Options accepted by every llmkit error. */
export interface LlmkitErrorOptions {
  /** The underlying error, if this one wraps another. */
  cause?: unknown;
}

/**
 * Base class of every error llmkit throws. Catch by kind with
 * `XError.isInstance(e)` (works across duplicated package versions, unlike
 * `instanceof`) or by the stable `code` string.
 *
 * @example
 * try { readSafetensors(path) } catch (e) {
 *   if (SafetensorsError.isInstance(e)) console.error(e.code, e.message);
 * }
 */
export class LlmkitError extends Error {
  /** Stable, machine-readable identifier of the failure kind, e.g. `invalid_argument`. */
  readonly code: string;
  private readonly [MARKER] = true;

  constructor(code: string, message: string, options: LlmkitErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }

  /** True when `error` is an llmkit error (of this class or a subclass), across package copies. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  static isInstance<T extends LlmkitError>(this: abstract new (...args: any[]) => T, error: unknown): error is T {
    if (typeof error !== 'object' || error === null || !(MARKER in error)) return false;
    if (this === (LlmkitError as unknown)) return true;
    // Match by class name along the prototype chain so duplicated copies still match.
    for (let p = Object.getPrototypeOf(error); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
      if (p.constructor?.name === this.name) return true;
    }
    return false;
  }
}
