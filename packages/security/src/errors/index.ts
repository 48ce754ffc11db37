import { LlmkitError, type LlmkitErrorOptions } from '@llmkit/core';

/** An option of a security function is out of range or of the wrong type. Code `security_invalid_option`. */
export class SecurityOptionError extends LlmkitError {
  constructor(message: string, options?: LlmkitErrorOptions) {
    super('security_invalid_option', message, options);
  }
}

/** A model directory or weights file (ONNX classifier, shipped classifier) is missing or malformed. Code `security_model`. */
export class SecurityModelError extends LlmkitError {
  constructor(message: string, options?: LlmkitErrorOptions) {
    super('security_model', message, options);
  }
}

/** A guard policy blocked an input or an output. Code `security_blocked`. Carries the incident. */
export class GuardBlockedError extends LlmkitError {
  readonly stage: 'input' | 'output';
  readonly reasons: string[];
  constructor(stage: 'input' | 'output', reasons: string[], options?: LlmkitErrorOptions) {
    super(
      'security_blocked',
      `guard blocked the ${stage}: ${reasons.join('; ')}. Change the policy (action "warn" or "redact") to let it through.`,
      options,
    );
    this.stage = stage;
    this.reasons = reasons;
  }
}

/** A vault placeholder cannot be resolved, or a dataset record is malformed. Code `security_data`. */
export class SecurityDataError extends LlmkitError {
  constructor(message: string, options?: LlmkitErrorOptions) {
    super('security_data', message, options);
  }
}
