import { Module, type Parameter } from '@llmkit/core';

/**
 * A module holding submodules by adapter name, like `torch.nn.ModuleDict`: a child
 * `default` of the field `lora_A` yields parameter names such as `q_proj.lora_A.default.weight`,
 * as in PEFT's in-memory models.
 * @example
 * const dict = new AdapterDict<Linear>();
 * dict.set('default', new Linear(32, 8, { bias: false }));
 * dict.namedParameters().map(([n]) => n); // ['default.weight']
 */
export class AdapterDict<M extends Module> extends Module {
  private readonly _items = new Map<string, M>();

  get(name: string): M | undefined {
    return this._items.get(name);
  }

  set(name: string, module: M): void {
    this._items.set(name, module);
  }

  has(name: string): boolean {
    return this._items.has(name);
  }

  delete(name: string): boolean {
    return this._items.delete(name);
  }

  keys(): string[] {
    return [...this._items.keys()];
  }

  override namedChildren(): Array<[string, Module]> {
    return [...this._items.entries()];
  }
}

/** DoRA's magnitude vector of one adapter: PEFT's `lora_magnitude_vector[name].weight` [outFeatures]. */
export class LoraMagnitude extends Module {
  weight: Parameter;
  constructor(weight: Parameter) {
    super();
    this.weight = weight;
  }
}
