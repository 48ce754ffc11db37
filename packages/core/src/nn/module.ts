import { tf } from '../tf.js';
import { InvalidArgumentError, ShapeMismatchError, StateDictError } from '../errors/index.js';

/** A trainable tensor of a module. It is a `tf.Variable`; `trainable` is its freeze flag. */
export type Parameter = tf.Variable;

let parameterCounter = 0;

/**
 * Create a parameter from an initial value. The tfjs variable name is made
 * unique; modules address parameters by their dotted path instead.
 *
 * The variable shares `value`'s data and the caller keeps ownership of `value`:
 * dispose it, or create both inside `tf.tidy(() => createParameter(init))`
 * (tidy disposes the initial tensor, not the variable). A `value` left alive
 * keeps the data alive after the parameter is disposed.
 */
export function createParameter(value: tf.Tensor, trainable = true, hint = 'param'): Parameter {
  return tf.variable(value, trainable, `llmkit/${hint}/${parameterCounter++}`);
}

/** Options of {@link Module.loadStateDict}. */
export interface LoadStateDictOptions {
  /** When true (default), missing or unexpected keys throw; when false they are returned. */
  strict?: boolean;
}

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/**
 * Base class of layers and models, after `torch.nn.Module`. Parameters and
 * submodules are discovered from the instance's own fields, so a field
 * `blocks: Block[]` whose blocks hold `attn.qkv.weight` yields the name
 * `blocks.0.attn.qkv.weight`. Fields whose names start with `_` are skipped.
 *
 * @example
 * class Mlp extends Module {
 *   fc = new Linear(4, 8); proj = new Linear(8, 4);
 *   forward(x: tf.Tensor) { return this.proj.forward(gelu(this.fc.forward(x))); }
 * }
 * new Mlp().namedParameters().map(([name]) => name); // ['fc.weight', 'fc.bias', 'proj.weight', 'proj.bias']
 */
export abstract class Module {
  /** True in training mode (dropout active); switch with `train()` / `eval()`. */
  training = true;

  /** Submodules in field order, with their field names (array entries get their index). */
  namedChildren(): Array<[string, Module]> {
    const out: Array<[string, Module]> = [];
    for (const [key, value] of Object.entries(this)) {
      if (key.startsWith('_')) continue;
      if (value instanceof Module) out.push([key, value]);
      else if (Array.isArray(value)) {
        value.forEach((item, i) => {
          if (item instanceof Module) out.push([`${key}.${i}`, item]);
        });
      }
    }
    return out;
  }

  /** Parameters held directly by this module (not by submodules). */
  namedOwnParameters(): Array<[string, Parameter]> {
    const out: Array<[string, Parameter]> = [];
    for (const [key, value] of Object.entries(this)) {
      if (key.startsWith('_')) continue;
      if (value instanceof tf.Variable) out.push([key, value]);
    }
    return out;
  }

  /**
   * Every parameter with its dotted name, depth first, in field order. A
   * parameter shared by two modules (tied weights) is listed once, under its
   * first name.
   */
  namedParameters(prefix = ''): Array<[string, Parameter]> {
    const seen = new Set<Parameter>();
    const out: Array<[string, Parameter]> = [];
    const visit = (module: Module, path: string) => {
      for (const [name, p] of module.namedOwnParameters()) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([path + name, p]);
      }
      for (const [name, child] of module.namedChildren()) visit(child, `${path}${name}.`);
    };
    visit(this, prefix ? `${prefix}.` : '');
    return out;
  }

  /** All parameters (see {@link namedParameters}). */
  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Parameters whose `trainable` flag is set. */
  trainableParameters(): Array<[string, Parameter]> {
    return this.namedParameters().filter(([, p]) => p.trainable);
  }

  /** Every submodule with its dotted name, this module first under ''. */
  namedModules(prefix = ''): Array<[string, Module]> {
    const out: Array<[string, Module]> = [[prefix, this]];
    for (const [name, child] of this.namedChildren()) {
      out.push(...child.namedModules(prefix ? `${prefix}.${name}` : name));
    }
    return out;
  }

  /** The submodule at a dotted path (e.g. `blocks.0.attn`). @throws {InvalidArgumentError} when absent. */
  getSubmodule(path: string): Module {
    if (path === '') return this;
    const found = this.namedModules().find(([name]) => name === path);
    if (!found) throw new InvalidArgumentError(`getSubmodule("${path}"): no such submodule; names are ${this.namedModules().map(([n]) => n).filter(Boolean).slice(0, 20).join(', ')}.`);
    return found[1];
  }

  /** Set training mode on this module and every submodule. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  /** Evaluation mode: `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  /** Freeze (`trainable = false`) or unfreeze every parameter, like `requires_grad_`. */
  requiresGrad(flag = true): this {
    for (const p of this.parameters()) p.trainable = flag;
    return this;
  }

  /** Total number of scalar parameters (optionally only trainable ones). */
  numParameters(onlyTrainable = false): number {
    return this.namedParameters()
      .filter(([, p]) => !onlyTrainable || p.trainable)
      .reduce((n, [, p]) => n + p.size, 0);
  }

  /**
   * A map from dotted names to the parameter tensors (the live variables, not
   * copies). Tied parameters appear under every name, as in PyTorch.
   */
  stateDict(): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    const visit = (module: Module, path: string) => {
      for (const [name, p] of module.namedOwnParameters()) out.set(path + name, p);
      for (const [name, child] of module.namedChildren()) visit(child, `${path}${name}.`);
    };
    visit(this, '');
    return out;
  }

  /**
   * Copy values into the parameters. Shapes must match exactly; dtypes are
   * cast to the parameter's dtype.
   * @throws {ShapeMismatchError} `shape_mismatch` when a tensor's shape differs.
   * @throws {StateDictError} `state_dict` for missing/unexpected keys when `strict`.
   */
  loadStateDict(
    state: Map<string, tf.Tensor> | Record<string, tf.Tensor>,
    options: LoadStateDictOptions = {},
  ): LoadStateDictResult {
    const strict = options.strict ?? true;
    const entries = state instanceof Map ? state : new Map(Object.entries(state));
    const own = this.stateDict();
    const missingKeys = [...own.keys()].filter((k) => !entries.has(k));
    const unexpectedKeys = [...entries.keys()].filter((k) => !own.has(k));
    if (strict && (missingKeys.length || unexpectedKeys.length)) {
      throw new StateDictError(
        `loadStateDict: ${missingKeys.length} missing key(s) [${missingKeys.slice(0, 10).join(', ')}], ` +
          `${unexpectedKeys.length} unexpected key(s) [${unexpectedKeys.slice(0, 10).join(', ')}]. ` +
          'Check the checkpoint matches this model, or pass { strict: false }.',
      );
    }
    for (const [name, param] of own) {
      const value = entries.get(name);
      if (!value) continue;
      if (!shapesEqual(value.shape, param.shape)) {
        throw new ShapeMismatchError(
          `loadStateDict: "${name}" has shape [${value.shape}] in the state dict but [${param.shape}] in the model.`,
        );
      }
    }
    for (const [name, param] of own) {
      const value = entries.get(name);
      if (!value) continue;
      const variable = param as tf.Variable;
      tf.tidy(() => variable.assign(value.dtype === variable.dtype ? value : tf.cast(value, variable.dtype)));
    }
    return { missingKeys, unexpectedKeys };
  }

  /** Dispose every parameter's memory. The module is unusable afterwards. */
  dispose(): void {
    for (const p of this.parameters()) p.dispose();
  }
}

export function shapesEqual(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
