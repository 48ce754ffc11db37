"""sacreBLEU throughput peer for packages/eval/bench/metrics.bench.ts.

Reads {"hyps": [...], "refs": [...]} (one reference stream) from the JSON file given as argv[1],
times sacrebleu's corpus BLEU (13a, exp smoothing), corpus chrF and corpus chrF++ (fresh metric
objects per run, so the tokenizer's lru_cache starts empty), best of `--repeats` runs, and prints
one JSON line: {"sacrebleu": version, "bleu": {"seconds", "score"}, "chrf": ..., "chrfpp": ...}.

Run: .venv-ref/bin/python tools/bench/sacrebleu_speed.py pairs.json [--repeats 3]
"""
import json, logging, sys, time

import sacrebleu
from sacrebleu.metrics import BLEU, CHRF

logging.getLogger("sacrebleu").setLevel(logging.ERROR)


def best(make, hyps, refs, repeats):
    seconds, score = float("inf"), None
    for _ in range(repeats):
        metric = make()
        t0 = time.perf_counter()
        score = metric.corpus_score(hyps, [refs]).score
        seconds = min(seconds, time.perf_counter() - t0)
    return {"seconds": seconds, "score": score}


def main():
    data = json.load(open(sys.argv[1], encoding="utf-8"))
    repeats = int(sys.argv[sys.argv.index("--repeats") + 1]) if "--repeats" in sys.argv else 3
    hyps, refs = data["hyps"], data["refs"]
    out = {
        "sacrebleu": sacrebleu.__version__,
        "python": sys.version.split()[0],
        "pairs": len(hyps),
        "bleu": best(lambda: BLEU(), hyps, refs, repeats),
        "chrf": best(lambda: CHRF(), hyps, refs, repeats),
        "chrfpp": best(lambda: CHRF(word_order=2), hyps, refs, repeats),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
