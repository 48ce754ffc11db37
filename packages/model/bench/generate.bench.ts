/**
 * bench/generate: greedy generation speed (new tokens per second) of a small
 * Llama-style DecoderLM (4 layers, hidden 256, 8 query / 4 KV heads, SwiGLU
 * 704, vocab 2048, random weights), batch 1, 16-token prompt, 128 new tokens:
 * with the KV cache (ours: each step feeds one token) versus without it (peer:
 * every step recomputes the whole sequence, as a model without a cache must).
 * Both must produce the same tokens; a mismatch is reported on stderr.
 *
 * Run: npx tsx --conditions=@llmkit/source packages/model/bench/generate.bench.ts [--new-tokens N]
 */
import { createRng, initBackend, tf } from '@llmkit/core';
import { DecoderLM } from '../src/index.js';

const args = process.argv.slice(2);
const at = args.indexOf('--new-tokens');
const NEW_TOKENS = at >= 0 ? Number(args[at + 1]) : 128;
const PROMPT = Array.from({ length: 16 }, (_, i) => (i * 37 + 11) % 2048);

const info = await initBackend();
const model = DecoderLM.fromConfig(
  {
    model_type: 'llama',
    vocab_size: 2048,
    hidden_size: 256,
    intermediate_size: 704,
    num_hidden_layers: 4,
    num_attention_heads: 8,
    num_key_value_heads: 4,
    max_position_embeddings: 512,
  },
  { rng: createRng(0) },
);
model.eval();

async function run(useCache: boolean, maxNewTokens: number): Promise<{ tokens: number[]; tokensPerSecond: number }> {
  const tokens: number[] = [];
  const start = performance.now();
  for await (const chunk of model.generate(PROMPT, { maxNewTokens, config: { temperature: 0 }, useCache })) tokens.push(chunk.tokenId);
  const seconds = (performance.now() - start) / 1000;
  return { tokens, tokensPerSecond: tokens.length / seconds };
}

await run(true, 8); // warm up kernels
await run(false, 8);
const before = tf.memory().numTensors;
const cached = await run(true, NEW_TOKENS);
const recomputed = await run(false, NEW_TOKENS);
if (tf.memory().numTensors !== before) console.error(`# warning: ${tf.memory().numTensors - before} tensors leaked by generation`);
if (cached.tokens.join(',') !== recomputed.tokens.join(',')) {
  console.error('# warning: cached and uncached greedy generations differ');
}
model.dispose();

const round = (x: number) => Math.round(x * 1000) / 1000;
console.error(`# backend ${info.backend} (${info.threads} threads), batch 1, prompt ${PROMPT.length}, ${NEW_TOKENS} new tokens, greedy`);
console.log(
  JSON.stringify({
    bench: 'model/generate/llama-4x256',
    ours: round(cached.tokensPerSecond),
    peer: 'same model without KV cache (recompute)',
    peerValue: round(recomputed.tokensPerSecond),
    ratio: round(cached.tokensPerSecond / recomputed.tokensPerSecond),
    unit: 'tokens/s',
  }),
);
