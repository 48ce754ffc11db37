// @llmkit/tokenizer public API. Every export is listed by name.

export { Tokenizer } from './tokenizer.js';
export type { EncodeOptions, DecodeOptions, Encoding, SpecialTokenSet } from './types.js';
export {
  DisallowedSpecialTokenError,
  TokenizerFormatError,
  UnknownTokenError,
  ChatTemplateError,
} from './errors.js';

// OpenAI encodings (tiktoken)
export {
  fromTiktoken,
  fromTiktokenRanks,
  loadTiktoken,
  TiktokenTokenizer,
  TIKTOKEN_ENCODING_NAMES,
  TIKTOKEN_PATTERNS,
  tiktokenPatternToRegExp,
  parseTiktokenBpeFile,
  type TiktokenEncodingName,
  type TiktokenRanksSpec,
  type TiktokenTokenizerOptions,
  type TiktokenEncodingData,
} from './tiktoken/index.js';

// Hugging Face tokenizer.json
export { fromHuggingFace, HuggingFaceTokenizer, translateOnigurumaPattern, type HuggingFaceConfig } from './huggingface/index.js';

// Training
export {
  trainBpe,
  GPT4_PATTERN,
  BpeTrainingResult,
  type TrainBpeOptions,
  type HuggingFaceTokenizerJSON,
  type TiktokenRanks,
} from './training/index.js';

// Chat templates
export {
  applyChatTemplate,
  BUILTIN_CHAT_TEMPLATES,
  type ApplyChatTemplateOptions,
  type BuiltinChatTemplate,
  type BuiltinChatTemplateName,
  type ChatMessage,
  type ChatRole,
  type ChatTemplateMaskResult,
  type ChatTokenizerConfig,
  type NamedChatTemplate,
} from './chat/index.js';

// Streaming decode
export { createStreamDecoder, type StreamDecoder, type StreamDecoderOptions } from './streaming/index.js';

// Vocabulary bytes (constrained decoding)
export { tokenBytes } from './vocabulary-bytes.js';
