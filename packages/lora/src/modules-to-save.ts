import { Module, createParameter, tf } from '@llmkit/core';
import { AdapterDict } from './adapter-dict.js';

/**
 * PEFT's `ModulesToSaveWrapper`: keeps the frozen `original_module` and one trainable copy per
 * adapter in `modules_to_save.<adapter>`; forward runs the active copy (the original when adapters
 * are disabled). Parameter names follow PEFT: `lm_head.original_module.weight`,
 * `lm_head.modules_to_save.default.weight`.
 * @example
 * const wrapper = new ModulesToSaveWrapper(lm.getSubmodule('lm_head'));
 * wrapper.addCopy('default');
 */
export class ModulesToSaveWrapper extends Module {
  original_module: Module;
  modules_to_save = new AdapterDict<Module>();
  activeAdapter: string | null = null;
  disableAdapters = false;

  constructor(original: Module) {
    super();
    this.original_module = original;
    this.training = original.training;
  }

  /** Add a trainable copy for adapter `name` (a deep copy of the original's parameters). */
  addCopy(name: string): Module {
    this.modules_to_save.get(name)?.dispose();
    const copy = cloneModule(this.original_module);
    this.modules_to_save.set(name, copy);
    if (this.activeAdapter === null) this.activeAdapter = name;
    return copy;
  }

  /** The module forward runs now. */
  activeModule(): Module {
    if (this.disableAdapters || this.activeAdapter === null) return this.original_module;
    return this.modules_to_save.get(this.activeAdapter) ?? this.original_module;
  }

  forward(...args: unknown[]): unknown {
    const m = this.activeModule() as unknown as { forward(...a: unknown[]): unknown };
    return m.forward(...args);
  }
}

/** Deep copy of a module: same class and settings, new parameter variables with the same values. */
export function cloneModule<T extends Module>(module: T): T {
  const copy = Object.create(Object.getPrototypeOf(module)) as Record<string, unknown>;
  for (const [key, value] of Object.entries(module)) {
    if (value instanceof tf.Variable) copy[key] = tf.tidy(() => createParameter(tf.clone(value), value.trainable, 'lora.modules_to_save'));
    else if (value instanceof Module) copy[key] = cloneModule(value);
    else if (Array.isArray(value)) copy[key] = value.map((item) => (item instanceof Module ? cloneModule(item) : item));
    else copy[key] = value;
  }
  return copy as T;
}
