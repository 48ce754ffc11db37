// Test helpers shared by every llmkit package: `import { expectClose } from '@llmkit/core/testing'`.
export { expectClose, maxRelativeError, type CloseOptions } from './expect-close.js';
