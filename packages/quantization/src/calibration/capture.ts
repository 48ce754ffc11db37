/**
 * Record the inputs of a model's linear layers while the model runs on calibration data, by
 * temporarily replacing each layer instance's `forward` with a recording wrapper (restored
 * afterwards, even when the run throws).
 */
import { Linear, type Module, tf } from '@llmkit/core';
import { InvalidArgumentError } from '@llmkit/core/errors';

/** One recorded call of a layer. */
export interface CapturedBatch {
  /** The input values, row-major. */
  data: Float32Array;
  /** The input shape, e.g. `[batch, T, inFeatures]`. */
  shape: number[];
  /** Id of the input tensor: layers called on the same tensor share their input (e.g. q/k/v projections). */
  tensorId: number;
}

/** Every recorded input of one layer. */
export interface CapturedInputs {
  name: string;
  inFeatures: number;
  batches: CapturedBatch[];
}

/**
 * Total tokens (rows of the `[*, inFeatures]` view) recorded in `captured`.
 * @example
 * capturedTokens(inputs.get('fc')!); // e.g. 8 sequences x 16 tokens = 128
 */
export function capturedTokens(captured: CapturedInputs): number {
  return captured.batches.reduce((n, b) => n + b.data.length / captured.inFeatures, 0);
}

/**
 * All recorded inputs of a layer stacked as one `[tokens, inFeatures]` float64 matrix.
 * @example
 * const x = stackCaptured(inputs.get('fc')!); // x.length === capturedTokens(...) * inFeatures
 */
export function stackCaptured(captured: CapturedInputs): Float64Array {
  const out = new Float64Array(capturedTokens(captured) * captured.inFeatures);
  let at = 0;
  for (const b of captured.batches) {
    out.set(b.data, at);
    at += b.data.length;
  }
  return out;
}

/**
 * The `Linear` layers of a module by dotted name (as `namedModules()` lists them).
 * @example
 * namedLinears(lm).map(([name]) => name); // ['model.layers.0.self_attn.q_proj', ..., 'lm_head']
 */
export function namedLinears(model: Module): Array<[string, Linear]> {
  return model.namedModules().filter((entry): entry is [string, Linear] => entry[1] instanceof Linear);
}

/**
 * Run `run()` with recording wrappers on the named `Linear` submodules of `model` and return
 * their inputs. Each wrapper copies its input (`dataSync`) and calls the layer's own forward.
 *
 * @throws {InvalidArgumentError} when a name is not a `Linear` submodule of `model`.
 * @example
 * const inputs = captureLinearInputs(lm, ['model.layers.0.mlp.down_proj'], () => {
 *   for (const ids of calibration) lm.forward([ids]).dispose();
 * });
 * inputs.get('model.layers.0.mlp.down_proj')!.batches[0].shape; // [1, T, intermediate]
 */
export function captureLinearInputs(model: Module, names: string[], run: () => void): Map<string, CapturedInputs> {
  const linears = new Map(namedLinears(model));
  const out = new Map<string, CapturedInputs>();
  const restore: Array<() => void> = [];
  try {
    for (const name of names) {
      const layer = linears.get(name);
      if (!layer) {
        throw new InvalidArgumentError(
          `captureLinearInputs: "${name}" is not a Linear submodule; Linear layers are ${[...linears.keys()].slice(0, 12).join(', ')}.`,
        );
      }
      const record: CapturedInputs = { name, inFeatures: layer.inFeatures, batches: [] };
      out.set(name, record);
      const own = Object.getOwnPropertyDescriptor(layer, 'forward');
      const previous = layer.forward;
      const wrapped = function (this: Linear, x: tf.Tensor): tf.Tensor {
        if (x instanceof tf.Tensor) {
          record.batches.push({ data: Float32Array.from(x.dataSync() as Float32Array), shape: [...x.shape], tensorId: x.id });
        }
        return previous.call(this, x);
      };
      Object.defineProperty(layer, 'forward', { value: wrapped, configurable: true, writable: true, enumerable: false });
      restore.push(() => {
        if (own) Object.defineProperty(layer, 'forward', own);
        else delete (layer as { forward?: unknown }).forward;
      });
    }
    run();
  } finally {
    for (const undo of restore.reverse()) undo();
  }
  return out;
}
