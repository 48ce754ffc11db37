import { RagError } from '../types.js';

/** An embedder or cross-encoder failed: bad model folder, HTTP error, wrong dimension. Codes below. */
export class EmbedderError extends RagError {}
