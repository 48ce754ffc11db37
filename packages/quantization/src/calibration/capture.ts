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

/** One recorded call of a module: its arguments (tensors cloned and kept) and its float output. */
export interface CapturedCall {
  /** The call's arguments; tensors (also inside plain option objects) are kept clones. */
  args: unknown[];
  /** The output values, row-major. */
  output: Float32Array;
}

function keepClone(value: unknown, kept: tf.Tensor[]): unknown {
  if (value instanceof tf.Tensor) {
    const c = tf.keep(value.clone());
    kept.push(c);
    return c;
  }
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = keepClone(v, kept);
    return out;
  }
  return value;
}

/** Recorded calls of modules ({@link captureModuleCalls}); `dispose()` frees the kept argument tensors. */
export interface CapturedModuleCalls {
  calls: Map<Module, CapturedCall[]>;
  dispose(): void;
}

/**
 * Run `run()` with recording wrappers on `modules` (any `Module` with a `forward` returning one
 * tensor) and return every call's arguments and output, so that a module can be re-run on the
 * same inputs later (llm-awq's `module2inspect` with its `kwargs`). Calls whose output is not a
 * single tensor, or that receive a key-value cache, are not recorded.
 *
 * @example
 * const rec = captureModuleCalls([mlp], () => lm.forward([ids]).dispose());
 * const y = mlp.forward(...(rec.calls.get(mlp)![0].args as [tf.Tensor])); // same as the recorded output
 * rec.dispose();
 */
export function captureModuleCalls(modules: Module[], run: () => void): CapturedModuleCalls {
  const calls = new Map<Module, CapturedCall[]>();
  const kept: tf.Tensor[] = [];
  const restore: Array<() => void> = [];
  try {
    for (const module of new Set(modules)) {
      const list: CapturedCall[] = [];
      calls.set(module, list);
      const own = Object.getOwnPropertyDescriptor(module, 'forward');
      const previous = (module as unknown as { forward: (...a: unknown[]) => unknown }).forward;
      if (typeof previous !== 'function') continue;
      const wrapped = function (this: Module, ...args: unknown[]): unknown {
        const out = previous.apply(this, args);
        const hasCache = args.some((a) => a && typeof a === 'object' && !(a instanceof tf.Tensor) && (a as { cache?: unknown }).cache !== undefined);
        if (out instanceof tf.Tensor && !hasCache) {
          list.push({ args: args.map((a) => keepClone(a, kept)), output: Float32Array.from(out.dataSync() as Float32Array) });
        }
        return out;
      };
      Object.defineProperty(module, 'forward', { value: wrapped, configurable: true, writable: true, enumerable: false });
      restore.push(() => {
        if (own) Object.defineProperty(module, 'forward', own);
        else delete (module as { forward?: unknown }).forward;
      });
    }
    run();
  } catch (e) {
    for (const t of kept) t.dispose();
    throw e;
  } finally {
    for (const undo of restore.reverse()) undo();
  }
  return {
    calls,
    dispose: () => {
      for (const t of kept) t.dispose();
      kept.length = 0;
    },
  };
}
