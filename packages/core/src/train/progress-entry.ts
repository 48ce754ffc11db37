// `@llmkit/core/progress`: the progress reporter without loading tfjs (for tokenizer training and other CPU-only work).
export { createProgress, type Progress, type ProgressOptions } from './progress.js';
