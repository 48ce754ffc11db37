// Helpers shared by the llmkit examples (private workspace package, not published).
export {
  loadLocalModel,
  mobyDickText,
  SPECIAL_TOKENS,
  type LocalModel,
  type LocalModelOptions,
  type TinyModelSettings,
} from './local-model.js';
export { LlamaCppUnavailableError, llamaCppStatus, runInLlamaCpp, type LlamaCppResult, type LlamaCppRun } from './llama-cpp.js';
