import { describe, expect, it } from 'vitest';
import { LlmkitError, InvalidArgumentError, SafetensorsError, CheckpointError } from '../src/errors/index.js';

describe('LlmkitError', () => {
  it('carries a stable code, cause and class name', () => {
    const cause = new Error('inner');
    const e = new SafetensorsError('bad header', { cause });
    expect(e.code).toBe('safetensors_format');
    expect(e.cause).toBe(cause);
    expect(e.name).toBe('SafetensorsError');
    expect(e).toBeInstanceOf(Error);
  });

  it('isInstance matches by kind, including copies from another package version', () => {
    const e = new InvalidArgumentError('x');
    expect(LlmkitError.isInstance(e)).toBe(true);
    expect(InvalidArgumentError.isInstance(e)).toBe(true);
    expect(CheckpointError.isInstance(e)).toBe(false);
    expect(LlmkitError.isInstance(new Error('plain'))).toBe(false);
    expect(LlmkitError.isInstance(null)).toBe(false);
    // A structurally identical class from a duplicated copy of the package:
    const marker = Symbol.for('llmkit.error');
    class InvalidArgumentErrorCopy extends Error {
      [marker] = true;
      code = 'invalid_argument';
    }
    Object.defineProperty(InvalidArgumentErrorCopy, 'name', { value: 'InvalidArgumentError' });
    const copy = new InvalidArgumentErrorCopy('from another copy');
    expect(InvalidArgumentError.isInstance(copy)).toBe(true);
    expect(LlmkitError.isInstance(copy)).toBe(true);
    expect(SafetensorsError.isInstance(copy)).toBe(false);
  });
});
