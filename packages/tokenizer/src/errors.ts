import { LlmkitError, type LlmkitErrorOptions } from '@llmkit/core/errors';

/** Text contains a special token the caller did not allow (tiktoken semantics). Code `disallowed_special_token`. */
export class DisallowedSpecialTokenError extends LlmkitError {
  constructor(
    readonly token: string,
    options?: LlmkitErrorOptions,
  ) {
    super(
      'disallowed_special_token',
      `The text contains the special token ${JSON.stringify(token)}, which is disallowed. ` +
        `Pass allowedSpecial: ['${token}'] (or 'all') to encode it as a special token, or disallowedSpecial: [] to encode it as ordinary text.`,
      options,
    );
  }
}

/** A tokenizer file (tokenizer.json, rank file) is malformed or unsupported. Code `tokenizer_format`; `path` is the JSON path. */
export class TokenizerFormatError extends LlmkitError {
  constructor(
    message: string,
    readonly path: string = '$',
    options?: LlmkitErrorOptions,
  ) {
    super('tokenizer_format', message, options);
  }
}

/** A token id or token string is not in the vocabulary. Code `unknown_token`. */
export class UnknownTokenError extends LlmkitError {
  constructor(message: string, options?: LlmkitErrorOptions) {
    super('unknown_token', message, options);
  }
}

export { LlmkitError };
export { InvalidArgumentError } from '@llmkit/core/errors';

/** A chat template failed to render or called `raise_exception` (its message is kept). Code `chat_template`. */
export class ChatTemplateError extends LlmkitError {
  constructor(message: string, options?: LlmkitErrorOptions) {
    super('chat_template', message, options);
  }
}
