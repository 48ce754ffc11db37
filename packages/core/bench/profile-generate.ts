/**
 * Cached greedy generation of the model package's generate bench (Llama 4 x 256, batch 1, 16-token
 * prompt) with core's SIMD matmul vs the earlier XNNPACK/JS-dot path, alternating, in process CPU
 * time per token (robust on a shared machine) and wall time. A profiling tool for issue 12.
 *
 *   npx tsx --conditions=@llmkit/source packages/core/bench/profile-generate.ts [--new-tokens N]
 */
import { createRng, initBackend } from '../src/index.js';
import { matMulStrategy } from '../src/backend/wasm-kernels/matmul-core.js';
import { DecoderLM } from '../../model/src/index.js';

const args = process.argv.slice(2);
const at = args.indexOf('--new-tokens');
const NEW_TOKENS = at >= 0 ? Number(args[at + 1]) : 64;
const PROMPT = Array.from({ length: 16 }, (_, i) => (i * 37 + 11) % 2048);

await initBackend({ backend: 'wasm' });
const model = DecoderLM.fromConfig(
  {
    model_type: 'llama', vocab_size: 2048, hidden_size: 256, intermediate_size: 704, num_hidden_layers: 4,
    num_attention_heads: 8, num_key_value_heads: 4, max_position_embeddings: 512,
  },
  { rng: createRng(0) },
);
model.eval();
const cpuMs = () => process.cpuUsage().user / 1000;

async function run(n: number): Promise<{ cpuMsPerToken: number; tokensPerSecond: number; tokens: string }> {
  const tokens: number[] = [];
  const c0 = cpuMs();
  const w0 = performance.now();
  for await (const chunk of model.generate(PROMPT, { maxNewTokens: n, config: { temperature: 0 }, useCache: true })) tokens.push(chunk.tokenId);
  return { cpuMsPerToken: (cpuMs() - c0) / tokens.length, tokensPerSecond: tokens.length / ((performance.now() - w0) / 1000), tokens: tokens.join(',') };
}

await run(8);
const seen = new Set<string>();
for (const kernel of ['xnnpack', 'simd', 'xnnpack', 'simd'] as const) {
  matMulStrategy.kernel = kernel;
  const r = await run(NEW_TOKENS);
  seen.add(r.tokens);
  console.log(JSON.stringify({ matmul: kernel, cpuMsPerToken: r.cpuMsPerToken, cpuTokensPerSecond: 1000 / r.cpuMsPerToken, wallTokensPerSecond: r.tokensPerSecond }));
}
if (seen.size !== 1) console.error('# warning: the two matmul paths generated different tokens');
model.dispose();
