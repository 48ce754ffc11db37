/**
 * The nanoGPT CPU recipe (karpathy/nanoGPT `config/train_shakespeare_char.py`
 * run with `--device=cpu --block_size=64 --batch_size=12 --n_layer=4 --n_head=4
 * --n_embd=128 --dropout=0.0`): a char-level GPT with bias-free Linear and
 * LayerNorm, GELU MLP and the LM head tied to the token embedding, built from
 * core layers only. Used by the train-step benchmark; @llmkit/model holds the
 * real GPT-2 family.
 */
import { tf, Module, Linear, Embedding, LayerNorm, gelu, crossEntropy, causalSoftmax, type Rng } from '../src/index.js';

export interface NanoGptConfig {
  vocabSize: number;
  blockSize: number;
  nLayer: number;
  nHead: number;
  nEmbd: number;
}

export const NANOGPT_CPU_RECIPE: NanoGptConfig = { vocabSize: 65, blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 128 };

class CausalSelfAttention extends Module {
  cAttn: Linear;
  cProj: Linear;
  constructor(private readonly _config: NanoGptConfig, rng: Rng) {
    super();
    this.cAttn = new Linear(_config.nEmbd, 3 * _config.nEmbd, { bias: false, rng });
    this.cProj = new Linear(_config.nEmbd, _config.nEmbd, { bias: false, rng });
  }
  forward(x: tf.Tensor3D): tf.Tensor3D {
    const [b, t, c] = x.shape;
    const h = this._config.nHead;
    const d = c / h;
    const qkv = this.cAttn.forward(x);
    // One transpose [b, t, 3h, d] -> [b, 3h, t, d], then a split of the head axis into q, k, v
    // (rows of h * t * d contiguous floats; its backward is one concat of such rows) instead of a
    // split along the features and three transposes.
    const heads = tf.transpose(tf.reshape(qkv, [b, t, 3 * h, d]), [0, 2, 1, 3]);
    const [q, k, v] = tf.split(heads, 3, 1) as tf.Tensor4D[];
    // softmax(q k^T / sqrt(d) + causal mask): one fused kernel each way on wasm (causalSoftmax);
    // elsewhere the composed scale, mask add and softmax.
    const y = tf.matMul(causalSoftmax(tf.matMul(q, k, false, true), { scale: 1 / Math.sqrt(d) }), v);
    return this.cProj.forward(tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [b, t, c])) as tf.Tensor3D;
  }
}

class Mlp extends Module {
  cFc: Linear;
  cProj: Linear;
  constructor(config: NanoGptConfig, rng: Rng) {
    super();
    this.cFc = new Linear(config.nEmbd, 4 * config.nEmbd, { bias: false, rng });
    this.cProj = new Linear(4 * config.nEmbd, config.nEmbd, { bias: false, rng });
  }
  forward(x: tf.Tensor): tf.Tensor {
    return this.cProj.forward(gelu(this.cFc.forward(x)));
  }
}

class Block extends Module {
  ln1: LayerNorm;
  attn: CausalSelfAttention;
  ln2: LayerNorm;
  mlp: Mlp;
  constructor(config: NanoGptConfig, rng: Rng) {
    super();
    this.ln1 = new LayerNorm(config.nEmbd, { bias: false });
    this.attn = new CausalSelfAttention(config, rng);
    this.ln2 = new LayerNorm(config.nEmbd, { bias: false });
    this.mlp = new Mlp(config, rng);
  }
  forward(x: tf.Tensor3D): tf.Tensor3D {
    const a = tf.add(x, this.attn.forward(this.ln1.forward(x) as tf.Tensor3D)) as tf.Tensor3D;
    return tf.add(a, this.mlp.forward(this.ln2.forward(a))) as tf.Tensor3D;
  }
}

export class NanoGpt extends Module {
  wte: Embedding;
  wpe: Embedding;
  h: Block[];
  lnF: LayerNorm;
  constructor(readonly config: NanoGptConfig, rng: Rng) {
    super();
    this.wte = new Embedding(config.vocabSize, config.nEmbd, { rng });
    this.wpe = new Embedding(config.blockSize, config.nEmbd, { rng });
    this.h = Array.from({ length: config.nLayer }, () => new Block(config, rng));
    this.lnF = new LayerNorm(config.nEmbd, { bias: false });
  }
  /** @param ids [batch, seq] int32 → logits [batch, seq, vocab] */
  forward(ids: tf.Tensor2D): tf.Tensor3D {
    const [, t] = ids.shape;
    let x = tf.add(this.wte.forward(ids), this.wpe.forward(tf.range(0, t, 1, 'int32'))) as tf.Tensor3D;
    for (const block of this.h) x = block.forward(x);
    x = this.lnF.forward(x) as tf.Tensor3D;
    const [b, , c] = x.shape;
    // Tied LM head. Reshape to 2-D first: tfjs-core has no gradient for a matmul
    // that broadcasts a 2-D operand against a batched one.
    const logits = tf.matMul(tf.reshape(x, [b * t, c]), this.wte.weight, false, true);
    return tf.reshape(logits, [b, t, this.config.vocabSize]) as tf.Tensor3D;
  }
  loss(ids: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
    const logits = this.forward(ids);
    return crossEntropy(tf.reshape(logits, [-1, this.config.vocabSize]), tf.reshape(targets, [-1])) as tf.Scalar;
  }
}
