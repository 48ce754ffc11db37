/**
 * The reference policy of DPO-style training: a frozen copy of the policy, a separate frozen model,
 * or - for a LoRA policy - the same weights with the adapter disabled (no second copy). Reference
 * log-probs can be precomputed once and cached to disk.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createProgress, createRng, type Module } from '@llmkit/core';
import { DecoderLM } from '@llmkit/model';
import { disableAdapter, type LoraModel } from '@llmkit/lora';
import { DpoError } from './errors.js';
import type { TokenizedSequence } from './data.js';
import { sequenceLogpsArray, type CausalLM } from './logprobs.js';

/** Where reference log-probs come from. */
export interface ReferenceModel {
  /** 'copy' (frozen copy of the policy), 'model' (a separate frozen model), 'adapter-disabled' (LoRA base). */
  readonly kind: 'copy' | 'model' | 'adapter-disabled';
  /** Run `fn` with the reference model (for 'adapter-disabled': the policy with its adapter switched off). */
  run<T>(fn: (model: CausalLM) => T): T;
  /** Scalar weights the reference holds beyond the policy's (0 when it shares them). */
  readonly extraParameters: number;
  /** Free what the reference owns (nothing for 'adapter-disabled'). */
  dispose(): void;
}

/**
 * A separate frozen model as the reference (its parameters get `trainable = false`).
 * @example
 * const reference = modelReference(await DecoderLM.fromPretrained(dir));
 */
export function modelReference(model: CausalLM & Module): ReferenceModel {
  model.requiresGrad(false);
  model.eval();
  return {
    kind: 'model',
    run: (fn) => fn(model),
    extraParameters: model.numParameters(),
    dispose: () => model.dispose(),
  };
}

/**
 * A frozen copy of a DecoderLM policy, taken now (before training changes the policy).
 * @example
 * const reference = copyReference(policy);
 */
export function copyReference(policy: DecoderLM): ReferenceModel {
  if (!(policy instanceof DecoderLM)) {
    throw new DpoError('dpo_invalid_argument', 'copyReference(policy) needs a DecoderLM; for other models pass modelReference(frozenModel), or adapterReference for a LoRA policy.');
  }
  // a private RNG for the throw-away initialisation: the default RNG's stream stays untouched
  const copy = DecoderLM.fromConfig(policy.config, { rng: createRng(0) });
  copy.loadStateDict(policy.stateDict());
  return { ...modelReference(copy), kind: 'copy' };
}

/** A function that runs `fn` with a LoRA model's adapter disabled (@llmkit/lora's `disableAdapter(loraModel, fn)` bound to the model). */
export type AdapterDisabler = <T>(fn: () => T) => T;

/**
 * The reference of a LoRA policy: the policy itself with the adapter disabled, so the base weights
 * serve both (no second copy). With @llmkit/lora: `adapterReference(lora.model, (fn) => disableAdapter(lora, fn))`.
 * @param model the policy's forward (the LoRA-wrapped model)
 * @param disable runs a function with the adapter off and restores it afterwards (also on throw)
 * @example
 * const reference = adapterReference(lora.model, (fn) => disableAdapter(lora, fn));
 */
export function adapterReference(model: CausalLM, disable: AdapterDisabler): ReferenceModel {
  if (typeof disable !== 'function') throw new DpoError('dpo_invalid_argument', 'adapterReference(model, disable): disable must be a function (fn) => result that runs fn with the adapter off.');
  return {
    kind: 'adapter-disabled',
    run: (fn) => disable(() => fn(model)),
    extraParameters: 0,
    dispose: () => {},
  };
}

/**
 * The reference of a @llmkit/lora policy: its base weights with the adapters disabled
 * (`disableAdapter`), so no second copy of the weights exists.
 * @example
 * const lora = applyLora(policy, { r: 8, targetModules: ['q_proj', 'v_proj'] });
 * const trainer = new DPOTrainer({ model: lora.model, reference: loraReference(lora), train, maxSteps: 100 });
 */
export function loraReference(lora: LoraModel<DecoderLM>): ReferenceModel {
  if (!lora || typeof lora !== 'object' || !(lora.model instanceof DecoderLM)) {
    throw new DpoError('dpo_invalid_argument', 'loraReference(lora) needs the LoraModel returned by @llmkit/lora applyLora(decoderLM, config).');
  }
  return adapterReference(lora.model, (fn) => disableAdapter(lora, fn));
}

/** Options of {@link precomputeReferenceLogps}. */
export interface PrecomputeReferenceOptions {
  /** Sequences per forward pass. Default 16. */
  batchSize?: number;
  /** JSON file to cache the values in: reused when it matches the sequences, written otherwise. */
  cacheFile?: string;
  /** Progress bar. Default 'auto'. */
  progress?: boolean | 'auto';
}

function fingerprint(sequences: TokenizedSequence[]): string {
  const h = createHash('sha256');
  for (const s of sequences) h.update(JSON.stringify([s.inputIds, s.completionMask])).update('\n');
  return h.digest('hex');
}

/**
 * Reference log-probs of every sequence, computed once (no gradients) and optionally cached to a
 * JSON file keyed by a hash of the token ids, so later runs skip the reference forward passes.
 * @throws {DpoError} `reference_cache` when the cache file exists but was computed for other sequences.
 * @example
 * const ref = precomputeReferenceLogps(reference, pairs.flatMap((p) => [p.chosen, p.rejected]), { cacheFile: 'ref-logps.json' });
 */
export function precomputeReferenceLogps(reference: ReferenceModel, sequences: TokenizedSequence[], options: PrecomputeReferenceOptions = {}): number[] {
  const hash = fingerprint(sequences);
  if (options.cacheFile && existsSync(options.cacheFile)) {
    let saved: { hash?: string; logps?: number[] };
    try {
      saved = JSON.parse(readFileSync(options.cacheFile, 'utf8'));
    } catch (error) {
      throw new DpoError('reference_cache', `${options.cacheFile} is not a reference log-prob cache (invalid JSON); delete it to recompute.`, { cause: error });
    }
    if (saved.hash !== hash || !Array.isArray(saved.logps) || saved.logps.length !== sequences.length) {
      throw new DpoError(
        'reference_cache',
        `${options.cacheFile} holds reference log-probs of other sequences (${saved.logps?.length ?? 0} cached, ${sequences.length} given, hash differs); delete it or choose another cacheFile.`,
      );
    }
    return saved.logps;
  }
  const batchSize = options.batchSize ?? 16;
  const progress = createProgress({ total: sequences.length, label: 'reference log-probs', enabled: options.progress ?? 'auto' });
  const logps: number[] = [];
  try {
    for (let i = 0; i < sequences.length; i += batchSize) {
      const chunk = sequences.slice(i, i + batchSize);
      logps.push(...reference.run((model) => sequenceLogpsArray(model, chunk, { batchSize })));
      progress.update(Math.min(i + batchSize, sequences.length));
    }
  } finally {
    progress.stop();
  }
  if (options.cacheFile) {
    mkdirSync(dirname(options.cacheFile), { recursive: true });
    writeFileSync(options.cacheFile, JSON.stringify({ hash, count: sequences.length, logps }));
  }
  return logps;
}

