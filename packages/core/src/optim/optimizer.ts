import { tf } from '../tf.js';
import { CheckpointError, InvalidArgumentError, ShapeMismatchError } from '../errors/index.js';

/** Parameters with their names, as `Module.namedParameters()` returns them. */
export type NamedParameters = Array<[string, tf.Variable]>;

/**
 * A group of parameters that share hyperparameters, after PyTorch's
 * `optimizer.param_groups`. Optimizers extend it with their own fields
 * (`betas`, `momentum`, ...). `lr` is the current learning rate; a schedule sets
 * it to `initialLr * multiplier` through {@link Optimizer.setLrMultiplier}.
 */
export interface ParamGroup {
  /** The group's parameters with their names. */
  params: NamedParameters;
  /** Learning rate used by the next step. */
  lr: number;
  /** Learning rate the group was created with (PyTorch's `initial_lr`). */
  initialLr: number;
  /** Weight decay coefficient (decoupled for AdamW and Lion, L2 for SGD). */
  weightDecay: number;
}

/** A parameter group as given to an optimizer's constructor: options left out take the optimizer's defaults. */
export interface ParamGroupInput {
  /** The group's parameters with their names. */
  params: NamedParameters;
  /** Learning rate of this group (overrides the optimizer's `lr`). */
  lr?: number;
  /** Weight decay of this group (overrides the optimizer's `weightDecay`). */
  weightDecay?: number;
}

/** A JSON value, the type of {@link OptimizerStateDict.meta}. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** The JSON part of an optimizer state dict. */
export interface OptimizerStateMeta {
  /** Optimizer class name, e.g. `AdamW`. */
  type: string;
  /** Optimizer steps taken. */
  stepCount: number;
  /** Each group's hyperparameters and parameter names, in order. */
  paramGroups: Array<{ params: string[] } & Record<string, JsonValue>>;
  /** Per-parameter scalar state (the per-parameter step, like PyTorch's `state[p]['step']`). */
  state: Record<string, { step: number }>;
  [key: string]: JsonValue;
}

/**
 * An optimizer's state: tensors keyed `state.<paramName>.<buffer>` (for example
 * `state.fc.weight.exp_avg`, the names of PyTorch's state buffers) and a
 * JSON-serializable `meta` with hyperparameters and step counters.
 */
export interface OptimizerStateDict {
  tensors: Map<string, tf.Tensor>;
  meta: OptimizerStateMeta;
}

/** State of one parameter: its own step counter and its buffers (non-trainable variables). */
export interface ParamState {
  step: number;
  buffers: Map<string, tf.Variable>;
}

function describeShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Validate a numeric option: a finite number >= `min` (and < `maxExclusive` when given). Internal to optim.
 *
 * @internal
 * @throws {InvalidArgumentError} `invalid_argument` naming `option` otherwise.
 * @example
 * const lr = checkNumber('AdamW', 'lr', options.lr ?? 1e-3);
 */
export function checkNumber(owner: string, option: string, value: unknown, min = 0, maxExclusive?: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || (maxExclusive !== undefined && value >= maxExclusive)) {
    const range = maxExclusive === undefined ? `>= ${min}` : `in [${min}, ${maxExclusive})`;
    throw new InvalidArgumentError(`${owner}: option "${option}" must be a finite number ${range}, got ${String(value)}.`);
  }
  return value;
}

/**
 * Validate `betas`: a pair of numbers in [0, 1). Internal to optim.
 *
 * @internal
 * @throws {InvalidArgumentError} `invalid_argument` otherwise.
 * @example
 * const [beta1, beta2] = checkBetas('Lion', options.betas ?? [0.9, 0.99]);
 */
export function checkBetas(owner: string, value: unknown): [number, number] {
  if (!Array.isArray(value) || value.length !== 2) {
    throw new InvalidArgumentError(`${owner}: option "betas" must be a pair [beta1, beta2], got ${JSON.stringify(value)}.`);
  }
  return [checkNumber(owner, 'betas[0]', value[0], 0, 1), checkNumber(owner, 'betas[1]', value[1], 0, 1)];
}

/**
 * Split named parameters into a group with weight decay and a group without,
 * the usual recipe for transformers (no decay on biases and norm weights). By
 * default every parameter of rank <= 1 goes to the no-decay group. Empty groups
 * are left out.
 *
 * @param namedParams parameters with their names, e.g. `model.namedParameters()`
 * @param weightDecay decay of the first group; the second group gets 0
 * @param isNoDecay picks the no-decay parameters; default: rank <= 1
 * @throws {InvalidArgumentError} `invalid_argument` when `weightDecay` is negative or not finite.
 * @example
 * const optimizer = new AdamW(paramGroupsWithoutDecay(model.namedParameters(), 0.1), { lr: 3e-4 });
 */
export function paramGroupsWithoutDecay(
  namedParams: NamedParameters,
  weightDecay: number,
  isNoDecay: (name: string, param: tf.Variable) => boolean = (_name, param) => param.rank <= 1,
): ParamGroupInput[] {
  checkNumber('paramGroupsWithoutDecay', 'weightDecay', weightDecay);
  const decay: NamedParameters = [];
  const noDecay: NamedParameters = [];
  for (const entry of namedParams) (isNoDecay(entry[0], entry[1]) ? noDecay : decay).push(entry);
  const groups: ParamGroupInput[] = [];
  if (decay.length > 0) groups.push({ params: decay, weightDecay });
  if (noDecay.length > 0) groups.push({ params: noDecay, weightDecay: 0 });
  return groups;
}

function isGroupList(params: NamedParameters | ParamGroupInput[]): params is ParamGroupInput[] {
  return params.length > 0 && !Array.isArray(params[0]);
}

/**
 * Base class of llmkit's optimizers, after `torch.optim.Optimizer`: parameter
 * groups with their own hyperparameters, per-parameter state buffers kept as
 * non-trainable variables, `step(grads)` with gradients keyed by parameter
 * name, and a state dict for checkpoints. Each update runs inside `tf.tidy`.
 *
 * @example
 * const optimizer = new AdamW(model.namedParameters(), { lr: 3e-4 });
 * const { loss, grads } = computeGradients(() => lossOf(model, batch), model.trainableParameters());
 * optimizer.step(grads);
 * loss.dispose(); grads.forEach((g) => g.dispose());
 */
export abstract class Optimizer<G extends ParamGroup = ParamGroup> {
  /** Optimizer class name, recorded in state dicts (`AdamW`, `Lion`, `SGD`). */
  abstract readonly name: string;
  /** The parameter groups with their current hyperparameters. */
  readonly paramGroups: G[];
  /** Number of `step()` calls so far. */
  stepCount = 0;
  /** Per-parameter state, by parameter name; created at a parameter's first update. */
  protected readonly state = new Map<string, ParamState>();
  private readonly groupOf = new Map<string, G>();

  /**
   * @param params named parameters, or parameter groups whose options override the defaults
   * @param resolveGroup turns one group input into a complete, validated group
   * @throws {InvalidArgumentError} `invalid_argument` for no parameters, a name or variable listed twice, or a bad option.
   */
  protected constructor(params: NamedParameters | ParamGroupInput[], resolveGroup: (input: ParamGroupInput) => G) {
    if (!Array.isArray(params)) {
      throw new InvalidArgumentError('Optimizer: "params" must be an array of [name, variable] pairs or of parameter groups { params, lr?, ... }.');
    }
    const inputs: ParamGroupInput[] = isGroupList(params) ? params : [{ params }];
    this.paramGroups = inputs.map((input, i) => {
      if (!input || !Array.isArray(input.params)) {
        throw new InvalidArgumentError(`Optimizer: parameter group ${i} has no "params" array of [name, variable] pairs.`);
      }
      return resolveGroup(input);
    });
    const seen = new Set<tf.Variable>();
    for (const group of this.paramGroups) {
      for (const entry of group.params) {
        const [name, variable] = Array.isArray(entry) ? entry : [undefined, undefined];
        if (typeof name !== 'string' || !(variable instanceof tf.Variable)) {
          throw new InvalidArgumentError('Optimizer: every parameter must be a [name, tf.Variable] pair (use module.namedParameters()).');
        }
        if (this.groupOf.has(name)) throw new InvalidArgumentError(`Optimizer: parameter "${name}" is listed twice; each name may appear in one group only.`);
        if (seen.has(variable)) throw new InvalidArgumentError(`Optimizer: parameter "${name}" is the same variable as another listed parameter; list tied weights once.`);
        seen.add(variable);
        this.groupOf.set(name, group);
      }
    }
    if (this.groupOf.size === 0) throw new InvalidArgumentError('Optimizer: got an empty parameter list.');
  }

  /**
   * Set every group's learning rate to `initialLr * multiplier`; LR schedules
   * drive the optimizer through this.
   *
   * @throws {InvalidArgumentError} `invalid_argument` when `multiplier` is negative or not finite.
   * @example
   * optimizer.setLrMultiplier(schedule(step));
   */
  setLrMultiplier(multiplier: number): void {
    checkNumber(`${this.name}.setLrMultiplier`, 'multiplier', multiplier);
    for (const group of this.paramGroups) group.lr = group.initialLr * multiplier;
  }

  /**
   * Apply one update to every trainable parameter that has a gradient.
   * Gradients of frozen parameters (`trainable === false`), parameters without a
   * gradient and names the optimizer does not know are skipped. The gradient
   * tensors are read, not disposed.
   *
   * @param grads gradients keyed by parameter name, each of its parameter's shape
   * @throws {ShapeMismatchError} `shape_mismatch` when a gradient's shape differs from its parameter's (nothing is updated then).
   * @throws {InvalidArgumentError} `invalid_argument` when a gradient is disposed or not float32.
   * @example
   * optimizer.step(new Map([['fc.weight', gradWeight], ['fc.bias', gradBias]]));
   */
  step(grads: Map<string, tf.Tensor>): void {
    const work: Array<[G, string, tf.Variable, tf.Tensor]> = [];
    for (const group of this.paramGroups) {
      for (const [name, param] of group.params) {
        if (!param.trainable) continue;
        const grad = grads.get(name);
        if (grad === undefined) continue;
        if (grad.isDisposed) throw new InvalidArgumentError(`${this.name}.step: the gradient of "${name}" is disposed.`);
        if (grad.dtype !== 'float32') throw new InvalidArgumentError(`${this.name}.step: the gradient of "${name}" is ${grad.dtype}; expected float32.`);
        if (!sameShape(grad.shape, param.shape)) {
          throw new ShapeMismatchError(
            `${this.name}.step: gradient of "${name}" has shape ${describeShape(grad.shape)} but the parameter has ${describeShape(param.shape)}.`,
          );
        }
        work.push([group, name, param, grad]);
      }
    }
    for (const [group, name, param, grad] of work) {
      let state = this.state.get(name);
      if (state === undefined) {
        state = { step: 0, buffers: new Map() };
        this.state.set(name, state);
      }
      state.step++;
      const paramState = state;
      tf.tidy(() => this.updateParameter(group, param, grad, paramState));
    }
    this.stepCount++;
  }

  /**
   * Names of the state buffers a parameter of `group` has once updated, e.g.
   * `['exp_avg', 'exp_avg_sq']`. Used to validate state dicts.
   */
  protected abstract bufferNames(group: G): string[];

  /**
   * Update one parameter in place (`param.assign(...)`); runs inside `tf.tidy`.
   * `state.step` is already incremented. Use {@link setBuffer} for state buffers.
   */
  protected abstract updateParameter(group: G, param: tf.Variable, grad: tf.Tensor, state: ParamState): void;

  /** Write `value` into the state buffer `key`, creating the variable at first use. Call inside `tf.tidy`. */
  protected setBuffer(state: ParamState, key: string, value: tf.Tensor): void {
    const existing = state.buffers.get(key);
    if (existing) existing.assign(value);
    else state.buffers.set(key, tf.variable(value, false));
  }

  /**
   * A copy of the optimizer's state. Tensors are keyed
   * `state.<paramName>.<buffer>` and are new tensors the caller owns (dispose
   * them after saving); `meta` is plain JSON.
   *
   * @example
   * const { tensors, meta } = optimizer.stateDict();
   * writeFileSync('optimizer.json', JSON.stringify(meta)); // tensors go to a safetensors file
   * tensors.forEach((t) => t.dispose());
   */
  stateDict(): OptimizerStateDict {
    const tensors = new Map<string, tf.Tensor>();
    const state: Record<string, { step: number }> = {};
    for (const [name, paramState] of this.state) {
      state[name] = { step: paramState.step };
      for (const [key, buffer] of paramState.buffers) tensors.set(`state.${name}.${key}`, tf.keep(buffer.clone()));
    }
    const paramGroups = this.paramGroups.map((group) => {
      const { params, ...hyper } = group;
      return { ...(JSON.parse(JSON.stringify(hyper)) as Record<string, JsonValue>), params: params.map(([name]) => name) };
    });
    return { tensors, meta: { type: this.name, stepCount: this.stepCount, paramGroups, state } };
  }

  /**
   * Restore a state dict made by {@link stateDict} of the same optimizer type
   * over the same parameters (same groups, names and order). Hyperparameters
   * (lr, initialLr, betas, ...) and buffers are restored; the given tensors are
   * copied, so the caller still owns them. Nothing changes when it throws.
   *
   * @throws {CheckpointError} `checkpoint` when the type, groups, parameter names, buffer names or shapes do not match.
   * @example
   * optimizer.loadStateDict({ tensors: readSafetensors(file), meta: JSON.parse(readFileSync('optimizer.json', 'utf8')) });
   */
  loadStateDict(stateDict: OptimizerStateDict): void {
    const fail = (message: string): never => {
      throw new CheckpointError(`${this.name}.loadStateDict: ${message}`);
    };
    const { tensors, meta } = stateDict ?? ({} as OptimizerStateDict);
    if (!(tensors instanceof Map) || typeof meta !== 'object' || meta === null) fail('expected { tensors: Map, meta: object } from stateDict().');
    if (meta.type !== this.name) fail(`the state dict is for optimizer "${String(meta.type)}", not ${this.name}.`);
    if (!Number.isInteger(meta.stepCount) || meta.stepCount < 0) fail(`meta.stepCount must be a non-negative integer, got ${String(meta.stepCount)}.`);
    if (!Array.isArray(meta.paramGroups) || meta.paramGroups.length !== this.paramGroups.length) {
      fail(`the state dict has ${Array.isArray(meta.paramGroups) ? meta.paramGroups.length : 'no'} parameter groups; this optimizer has ${this.paramGroups.length}.`);
    }
    meta.paramGroups.forEach((saved, i) => {
      const names = this.paramGroups[i].params.map(([name]) => name);
      const savedNames = Array.isArray(saved?.params) ? saved.params : [];
      if (savedNames.length !== names.length || savedNames.some((n, j) => n !== names[j])) {
        const missing = names.filter((n) => !savedNames.includes(n));
        const extra = savedNames.filter((n) => !names.includes(n));
        fail(
          `parameter group ${i} does not match: ` +
            (missing.length || extra.length
              ? `missing ${JSON.stringify(missing.slice(0, 5))}, unexpected ${JSON.stringify(extra.slice(0, 5))}.`
              : 'same names in a different order.'),
        );
      }
      for (const [key, value] of Object.entries(this.paramGroups[i])) {
        if (key === 'params') continue;
        if (typeof saved[key] !== typeof value) fail(`parameter group ${i} lacks hyperparameter "${key}" (or has the wrong type).`);
      }
    });
    const savedState = meta.state ?? {};
    if (typeof savedState !== 'object') fail('meta.state must be an object.');
    const expectedKeys = new Set<string>();
    for (const [name, entry] of Object.entries(savedState)) {
      const group = this.groupOf.get(name);
      if (!group) fail(`state for unknown parameter "${name}".`);
      if (!Number.isInteger(entry?.step) || entry.step < 0) fail(`state of "${name}" has a bad step ${String(entry?.step)}.`);
      const param = group!.params.find(([n]) => n === name)![1];
      for (const buffer of this.bufferNames(group!)) {
        const key = `state.${name}.${buffer}`;
        expectedKeys.add(key);
        const tensor = tensors.get(key);
        if (!tensor) fail(`missing tensor "${key}".`);
        if (!sameShape(tensor!.shape, param.shape)) {
          fail(`tensor "${key}" has shape ${describeShape(tensor!.shape)} but parameter "${name}" has ${describeShape(param.shape)}.`);
        }
        if (tensor!.dtype !== 'float32') fail(`tensor "${key}" is ${tensor!.dtype}; expected float32.`);
      }
    }
    const unexpected = [...tensors.keys()].filter((k) => !expectedKeys.has(k));
    if (unexpected.length > 0) fail(`unexpected tensors ${JSON.stringify(unexpected.slice(0, 5))}${unexpected.length > 5 ? ' ...' : ''}.`);

    // Validated: apply.
    this.disposeState();
    meta.paramGroups.forEach((saved, i) => {
      const group = this.paramGroups[i] as unknown as Record<string, unknown>;
      for (const key of Object.keys(group)) {
        if (key !== 'params') group[key] = JSON.parse(JSON.stringify(saved[key]));
      }
    });
    this.stepCount = meta.stepCount;
    for (const [name, entry] of Object.entries(savedState)) {
      const group = this.groupOf.get(name)!;
      const buffers = new Map<string, tf.Variable>();
      for (const buffer of this.bufferNames(group)) {
        // tf.variable shares the (immutable) data and takes its own reference, so the caller may dispose its tensor.
        buffers.set(buffer, tf.variable(tensors.get(`state.${name}.${buffer}`)!, false));
      }
      this.state.set(name, { step: entry.step, buffers });
    }
  }

  private disposeState(): void {
    for (const paramState of this.state.values()) for (const buffer of paramState.buffers.values()) buffer.dispose();
    this.state.clear();
  }

  /**
   * Dispose the optimizer's state buffers (not the parameters). The optimizer
   * can still step afterwards; it starts from fresh state.
   *
   * @example
   * optimizer.dispose();
   */
  dispose(): void {
    this.disposeState();
  }
}
