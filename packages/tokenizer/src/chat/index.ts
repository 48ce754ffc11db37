export { applyChatTemplate } from './apply-chat-template.js';
export { BUILTIN_CHAT_TEMPLATES, type BuiltinChatTemplate, type BuiltinChatTemplateName } from './builtin-templates.js';
export type {
  ApplyChatTemplateOptions,
  ChatMessage,
  ChatRole,
  ChatTemplateMaskResult,
  ChatTokenizerConfig,
  NamedChatTemplate,
} from './types.js';
