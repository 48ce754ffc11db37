/**
 * The one tfjs instance every llmkit package shares. `@tensorflow/tfjs` (not
 * tfjs-core alone) is imported because in Node only its bundle registers the
 * gradients and the chained tensor ops (`x.square()`); the wasm backend
 * registers itself on import.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

export { tf };
export type Tensor = tf.Tensor;
