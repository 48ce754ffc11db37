// @llmkit/lora from its tarball: LoRA on a tiny Llama, merge equals unmerged output.
import assert from 'node:assert/strict';
import { initBackend, createRng, tf } from '@llmkit/core';
import { DecoderLM } from '@llmkit/model';
import { applyLora, disableAdapter, mergeAdapter } from '@llmkit/lora';

await initBackend();
const model = DecoderLM.fromConfig(
  { model_type: 'llama', vocab_size: 32, hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2,
    num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 64 },
  { rng: createRng(0) },
);
const lora = applyLora(model, { r: 4, loraAlpha: 8, targetModules: ['q_proj', 'v_proj'] });
// per layer: q_proj 64 -> 64: r (64 + 64) = 512; v_proj 64 -> 2 kv heads x 16 = 32: r (64 + 32) = 384; 2 layers
assert.equal(lora.nbTrainableParameters().trainable, 2 * (512 + 384));
// B starts at zero (PEFT's init); give it values so the adapter changes the output.
const rng = createRng(1);
for (const [name, p] of lora.trainableParameters()) if (name.includes('lora_B')) p.assign(rng.normalTensor(p.shape).mul(0.1));
const maxDiff = (a, b) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
const before = lora.model.forward([[1, 2, 3]]);
const base = disableAdapter(lora, () => lora.model.forward([[1, 2, 3]]));
assert.ok(maxDiff(before, base) > 1e-3, 'the adapter changes the logits');
mergeAdapter(lora);
const after = lora.model.forward([[1, 2, 3]]);
assert.ok(maxDiff(before, after) < 1e-4, 'merged == unmerged');
console.log('lora ok');
