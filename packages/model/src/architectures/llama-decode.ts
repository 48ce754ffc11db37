/**
 * The cached decoding step of the Llama family (one new token per sequence, a KV cache, no attention
 * mask or explicit positions): the same computation as `LlamaForCausalLM.forward`, written to issue
 * few tfjs kernels per token. A decode step of a small model is dominated by tfjs' per-kernel dispatch
 * (~380 kernels per token on the composed path), so here
 * - the hidden state stays [B, hidden] (no reshape/transpose round trips for one token),
 * - plain `Linear` layers run through core's `linearRows` (q/k/v in one call) and `swigluRows` (gate/up
 *   and the SiLU gate in one call), other linear modules (LoRA, quantized) through their `forward`,
 * - RMSNorm, residual add + RMSNorm, the SwiGLU gate, RoPE on q/k and single-query attention over the
 *   cache are core's fused ops (`rmsNorm`, `addRmsNorm`, `siluMul`, `ropeDecodeQkv`, `decodeAttention`:
 *   one llmkit wasm kernel each on wasm, the composed tfjs ops elsewhere),
 * - the RoPE cos/sin row of the step comes from a table computed once per `RotaryEmbedding` (same
 *   values as `RotaryEmbedding.cosSin`), shared by all layers,
 * - everything runs in one `tf.tidy`.
 * The KV cache is @llmkit/attention's `KVCache` (updated with `update`, so pastLength, crop, reorder
 * and rolling windows behave as on the composed path).
 */
import {
  Embedding, Linear, RMSNorm, addRmsNorm, decodeAttention, linearRows, rmsNorm, ropeDecodeQkv, siluMul, swigluRows, tf, type Module,
} from '@llmkit/core';
import { InvalidArgumentError } from '@llmkit/core/errors';
import { MultiHeadAttention, type KVCache, type RotaryEmbedding } from '@llmkit/attention';

/** The parts of the Llama modules the decode step reads (structural, to avoid an import cycle with llama.ts). */
export interface DecodeMlp extends Module {
  gate_proj: Module;
  up_proj: Module;
  down_proj: Module;
  /** HF hidden_act of the MLP. */
  readonly hiddenAct: string;
  /** The activation function. */
  act(x: tf.Tensor): tf.Tensor;
}
export interface DecodeLayer extends Module {
  self_attn: MultiHeadAttention;
  mlp: DecodeMlp;
  input_layernorm: Module;
  post_attention_layernorm: Module;
}
export interface DecodeBody {
  model: { embed_tokens: Module; layers: DecodeLayer[]; norm: Module };
  lm_head: Module;
}

/**
 * Switch of the fast path (tests and benchmarks compare it with the composed path in one process).
 * @example
 * llamaDecodeStrategy.fast = false; // every step through LlamaDecoderLayer.forward
 */
export const llamaDecodeStrategy = { fast: true };

/** A plain core `Linear` (not a subclass such as a LoRA or quantized layer, whose forward must run). */
function plainLinear(module: Module): Linear | undefined {
  return module instanceof Linear && Object.getPrototypeOf(module) === Linear.prototype ? module : undefined;
}

/** y_i = x W_i^T + b_i for x [B, in]: plain Linear layers in one `linearRows` call, other modules through their forward. */
function linears(modules: Module[], x: tf.Tensor2D): tf.Tensor2D[] {
  const plain = modules.map(plainLinear);
  if (plain.every((l) => l !== undefined)) return linearRows(x, plain as Linear[]);
  return modules.map((m, i) => (plain[i] ? linearRows(x, [plain[i]!])[0] : ((m as unknown as { forward(x: tf.Tensor): tf.Tensor }).forward(x) as tf.Tensor2D)));
}

/** A single-dim RMSNorm's fused form, or undefined for any other norm module. */
function fusedNorm(module: Module): { weight: tf.Tensor | null; eps: number } | undefined {
  if (module instanceof RMSNorm && Object.getPrototypeOf(module) === RMSNorm.prototype && module.normalizedShape.length === 1) {
    return { weight: module.weight, eps: module.eps };
  }
  return undefined;
}

function norm(module: Module, x: tf.Tensor): tf.Tensor {
  const f = fusedNorm(module);
  return f ? rmsNorm(x, f.weight, f.eps) : (module as unknown as { forward(x: tf.Tensor): tf.Tensor }).forward(x);
}

/** sum = x + y and norm(sum), fused when `module` is a plain RMSNorm. */
function addNorm(x: tf.Tensor, y: tf.Tensor, module: Module): { sum: tf.Tensor; normed: tf.Tensor } {
  const f = fusedNorm(module);
  if (f) return addRmsNorm(x, y, f.weight, f.eps);
  const sum = tf.add(x, y);
  return { sum, normed: (module as unknown as { forward(x: tf.Tensor): tf.Tensor }).forward(sum) };
}

// ---------------------------------------------------------------------------------------------
// RoPE rows

interface RopeTable {
  n: number;
  cos: Float32Array;
  sin: Float32Array;
}

const ROPE_TABLES = new WeakMap<RotaryEmbedding, RopeTable>();

/**
 * cos/sin of one position, as `rope.cosSin([pos])` (whose default seqLen is pos + 1). Rows come from a
 * table of positions computed with `cosSin` in one call and grown by doubling; dynamic NTK past
 * max_position_embeddings (where the frequencies depend on the length) is computed per step.
 */
function ropeRow(rope: RotaryEmbedding, pos: number): { cos: Float32Array; sin: Float32Array } {
  const rd = rope.rotaryDim;
  const maxPos = rope.config.maxPositionEmbeddings;
  const dynamic = rope.config.scaling?.ropeType === 'dynamic';
  if (dynamic && maxPos !== undefined && pos + 1 > maxPos) {
    const t = rope.cosSin([pos]);
    const out = { cos: t.cos.dataSync() as Float32Array, sin: t.sin.dataSync() as Float32Array };
    t.cos.dispose();
    t.sin.dispose();
    return out;
  }
  let table = ROPE_TABLES.get(rope);
  if (!table || pos >= table.n) {
    let n = Math.max(256, (table?.n ?? 0) * 2, pos + 1);
    // dynamic NTK: rows past max_position_embeddings are never read from the table
    if (dynamic && maxPos !== undefined) n = Math.min(n, maxPos);
    // seqLen 1: the length-independent frequencies (every rope type but dynamic ignores it; dynamic uses its base ones up to maxPos)
    const t = rope.cosSin(Array.from({ length: n }, (_, i) => i), 1);
    table = { n, cos: t.cos.dataSync() as Float32Array, sin: t.sin.dataSync() as Float32Array };
    t.cos.dispose();
    t.sin.dispose();
    ROPE_TABLES.set(rope, table);
  }
  return { cos: table.cos.subarray(pos * rd, (pos + 1) * rd), sin: table.sin.subarray(pos * rd, (pos + 1) * rd) };
}

// ---------------------------------------------------------------------------------------------

/**
 * Whether {@link llamaDecodeStep} computes this step (else the caller runs the composed path): one token per
 * sequence, the fast path switched on, and the modules the Llama body builds (plain Embedding,
 * MultiHeadAttention with separate q/k/v projections and one shared rotary embedding, no active attention
 * dropout, an MLP with gate/up/down projections).
 */
export function canDecodeFast(body: DecodeBody, inputIds: tf.Tensor2D): boolean {
  if (!llamaDecodeStrategy.fast || inputIds.rank !== 2 || inputIds.shape[1] !== 1) return false;
  const layers = body.model.layers;
  const embed = body.model.embed_tokens;
  if (!(embed instanceof Embedding) || Object.getPrototypeOf(embed) !== Embedding.prototype || layers.length === 0) return false;
  const rope = layers[0].self_attn?.rope;
  for (const layer of layers) {
    const attn = layer.self_attn;
    // a swapped-in module (a wrapper, another attention or MLP class) keeps the composed path
    if (!(attn instanceof MultiHeadAttention) || !attn.rope || attn.rope !== rope) return false;
    if (attn.qkv_proj || !attn.q_proj || !attn.k_proj || !attn.v_proj) return false;
    if (attn.training && attn.dropoutP > 0) return false;
    const mlp = layer.mlp;
    if (!mlp || typeof mlp.act !== 'function' || !mlp.gate_proj || !mlp.up_proj || !mlp.down_proj) return false;
  }
  return true;
}

/**
 * One cached decoding step: logits [B, 1, vocab] for the token ids [B, 1] at position
 * `cache.pastLength`, appending their keys/values to `cache`. Call only when {@link canDecodeFast}.
 * @throws {InvalidArgumentError} `invalid_argument` for a token id outside the vocabulary.
 */
export function llamaDecodeStep(body: DecodeBody, inputIds: tf.Tensor2D, cache: KVCache): tf.Tensor3D {
  const B = inputIds.shape[0];
  const embed = body.model.embed_tokens as Embedding;
  const ids = inputIds.dataSync();
  for (let i = 0; i < ids.length; i++) {
    if (!Number.isInteger(ids[i]) || ids[i] < 0 || ids[i] >= embed.numEmbeddings) {
      throw new InvalidArgumentError(
        `DecoderLM.forward: token id ${ids[i]} at batch row ${i} is outside the vocabulary [0, ${embed.numEmbeddings}); check the tokenizer and vocab_size.`,
      );
    }
  }
  const past = cache.pastLength;
  const layers = body.model.layers;
  const rope = layers[0].self_attn.rope!;
  const row = ropeRow(rope, past);
  return tf.tidy(() => {
    const cos = tf.tensor1d(row.cos);
    const sin = tf.tensor1d(row.sin);
    let x: tf.Tensor = tf.gather(embed.weight, tf.reshape(inputIds, [B]));
    let normed = norm(layers[0].input_layernorm, x);
    for (let i = 0; i < layers.length; i++) {
      const layer = layers[i];
      const attn = layer.self_attn;
      const firstStored = cache.firstStoredPosition(i);
      const h2 = normed as tf.Tensor2D;
      const [q, k, v] = linears([attn.q_proj!, attn.k_proj!, attn.v_proj!], h2);
      const heads = ropeDecodeQkv(q, k, v, cos, sin, {
        nHeads: attn.nHeads,
        nKvHeads: attn.nKvHeads,
        headDim: attn.headDim,
      });
      const kv = cache.update(i, heads.k, heads.v);
      // sliding window: the query at `past` sees keys at absolute positions > past - window
      const start = attn.slidingWindow === undefined ? 0 : Math.max(0, past - attn.slidingWindow + 1 - firstStored);
      const attended = decodeAttention(heads.q, kv.k, kv.v, { start });
      const [o] = linears([attn.o_proj], attended);
      const post = addNorm(x, o, layer.post_attention_layernorm);
      const mlp = layer.mlp;
      const h3 = post.normed as tf.Tensor2D;
      const silu = mlp.hiddenAct === 'silu' || mlp.hiddenAct === 'swish';
      const gateLinear = plainLinear(mlp.gate_proj);
      const upLinear = plainLinear(mlp.up_proj);
      let act: tf.Tensor2D;
      if (silu && gateLinear && upLinear) act = swigluRows(h3, gateLinear, upLinear);
      else {
        const [gate, up] = linears([mlp.gate_proj, mlp.up_proj], h3);
        act = (silu ? siluMul(gate, up) : tf.mul(mlp.act(gate), up)) as tf.Tensor2D;
      }
      const [down] = linears([mlp.down_proj], act);
      const next = addNorm(post.sum, down, i + 1 < layers.length ? layers[i + 1].input_layernorm : body.model.norm);
      x = next.sum;
      normed = next.normed;
    }
    const [logits] = linears([body.lm_head], normed as tf.Tensor2D);
    return tf.reshape(logits, [B, 1, logits.shape[1]]) as tf.Tensor3D;
  });
}
