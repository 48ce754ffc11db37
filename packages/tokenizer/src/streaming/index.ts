export { createStreamDecoder, type StreamDecoder, type StreamDecoderOptions } from './stream-decoder.js';
