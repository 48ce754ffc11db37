// Edge cases of the logits processors, processLogits and sample.
import { describe, expect, it } from "vitest";
import { createRng } from "@llmkit/core";
import { InvalidArgumentError, LlmkitError } from "@llmkit/core/errors";
import {
  AllTokensMaskedError,
  DEFAULT_PROCESSOR_ORDER,
  frequencyPenalty,
  logitBias,
  minP,
  presencePenalty,
  processLogits,
  temperature,
  topK,
  topP,
} from "../src/processors/index.js";
import { sample } from "../src/sample.js";

const ctx = { inputIds: [], promptLength: 0 };

describe("validation", () => {
  it("rejects NaN and +Infinity logits with InvalidArgumentError", () => {
    const bad = Float32Array.of(0, NaN, 1);
    expect(() => topP(bad, 0.9)).toThrow(InvalidArgumentError);
    expect(() => processLogits(bad, {}, ctx)).toThrow(/logits\[1\] = NaN/);
    expect(() =>
      sample(Float32Array.of(Infinity, 0), {}, createRng(0))
    ).toThrow(InvalidArgumentError);
  });
  it("names the option and the fix", () => {
    const x = Float32Array.of(0, 1);
    expect(() => temperature(x, 0)).toThrow(/temperature 0 = greedy/);
    expect(() => topK(x, 0)).toThrow(/k = 0; give an integer >= 1/);
    expect(() => topP(x, 1.5)).toThrow(/p = 1.5/);
    expect(() => processLogits(x, { topP: -1 }, ctx)).toThrow(/config.topP/);
    expect(() => processLogits(x, { logitBias: { 1: NaN } }, ctx)).toThrow(
      /logitBias\[1\]/
    );
    expect(() =>
      processLogits(x, {}, { inputIds: [0], promptLength: 2 })
    ).toThrow(/promptLength/);
    expect(() => processLogits(x, {}, ctx, ["nope" as never])).toThrow(/order/);
  });
});

describe("-Infinity and all-masked rows", () => {
  it("keeps -Infinity masked through every warper", () => {
    const x = Float32Array.of(-Infinity, 1, 2, -Infinity, 0.5);
    const out = processLogits(
      x,
      {
        temperature: 0.5,
        topK: 3,
        topP: 0.99,
        minP: 0.01,
        typicalP: 0.99,
        epsilonCutoff: 1e-6,
        etaCutoff: 1e-6,
      },
      ctx
    );
    expect(out[0]).toBe(-Infinity);
    expect(out[3]).toBe(-Infinity);
    expect(out[2]).toBe(4);
  });
  it("throws AllTokensMaskedError (code all_tokens_masked)", () => {
    const x = Float32Array.of(-Infinity, -Infinity);
    for (const f of [
      () => topP(x, 0.9),
      () => minP(x, 0.1),
      () => processLogits(x, {}, ctx),
      () => sample(x, {}, createRng(0)),
      () => sample(x, { temperature: 0 }, createRng(0)),
    ]) {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(AllTokensMaskedError.isInstance(err)).toBe(true);
      expect(LlmkitError.isInstance(err)).toBe(true);
      expect((err as LlmkitError).code).toBe("all_tokens_masked");
    }
  });
  it("throws when the processors mask everything", () => {
    expect(() =>
      processLogits(Float32Array.of(0, 1), { badWordsIds: [[0], [1]] }, ctx)
    ).toThrow(AllTokensMaskedError);
  });
});

describe("ties", () => {
  it("top-k keeps every logit tied with the k-th", () => {
    expect(Array.from(topK(Float32Array.of(1, 2, 2, 2, 0), 2))).toEqual([
      -Infinity,
      2,
      2,
      2,
      -Infinity,
    ]);
  });
  it("top-p at a tie boundary removes the lower index first (stable ascending sort)", () => {
    // four equal tokens of 0.25: p = 0.5 keeps exactly two (mass above the third is 0.5 >= p).
    expect(Array.from(topP(Float32Array.of(0, 0, 0, 0), 0.5))).toEqual([
      -Infinity,
      -Infinity,
      0,
      0,
    ]);
    // p = 0.6: the third is kept too (0.5 < 0.6).
    expect(Array.from(topP(Float32Array.of(0, 0, 0, 0), 0.6))).toEqual([
      -Infinity,
      0,
      0,
      0,
    ]);
  });
  it("top-p keeps the top token even for a tiny p, and p = 1 is a no-op", () => {
    expect(Array.from(topP(Float32Array.of(0, 3, 1), 1e-9))).toEqual([
      -Infinity,
      3,
      -Infinity,
    ]);
    expect(Array.from(topP(Float32Array.of(0, 3, 1), 1))).toEqual([0, 3, 1]);
  });
});

describe("penalties and order", () => {
  it("frequency and presence penalties count generated tokens only", () => {
    const c = { inputIds: [1, 0, 0, 2], promptLength: 2 };
    expect(
      Array.from(frequencyPenalty(Float32Array.of(1, 1, 1), 0.5, c))
    ).toEqual([0.5, 1, 0.5]);
    expect(
      Array.from(presencePenalty(Float32Array.of(1, 1, 1), 0.5, c))
    ).toEqual([0.5, 1, 0.5]);
    expect(
      Array.from(
        processLogits(
          Float32Array.of(1, 1, 1),
          { frequencyPenalty: 0.5, presencePenalty: 0.25 },
          c
        )
      )
    ).toEqual([0.25, 1, 0.25]);
  });
  it("logit bias adds, and -Infinity bans", () => {
    expect(
      Array.from(logitBias(Float32Array.of(0, 0, 0), { 0: 1.5, 2: -Infinity }))
    ).toEqual([1.5, 0, -Infinity]);
  });
  it("does not mutate its input", () => {
    const x = Float32Array.of(3, 1, 2);
    processLogits(x, { temperature: 0.5, topK: 1 }, ctx);
    expect(Array.from(x)).toEqual([3, 1, 2]);
  });
  it("follows a user-controlled order", () => {
    // logit bias after top-k can revive nothing; before top-k it changes which token survives.
    const x = Float32Array.of(2, 1, 0);
    const cfg = { topK: 1, logitBias: { 2: 5 } };
    expect(Array.from(processLogits(x, cfg, ctx))).toEqual([
      -Infinity,
      -Infinity,
      5,
    ]);
    expect(
      Array.from(processLogits(x, cfg, ctx, ["topK", "logitBias"]))
    ).toEqual([2, -Infinity, -Infinity]);
    expect(DEFAULT_PROCESSOR_ORDER.indexOf("repetitionPenalty")).toBeLessThan(
      DEFAULT_PROCESSOR_ORDER.indexOf("temperature")
    );
  });
});

describe("vocabulary of 200k", () => {
  it("processes and samples fast", () => {
    const rng = createRng(7);
    const V = 200_000;
    const x = new Float32Array(V);
    const z = rng.normal(V);
    for (let i = 0; i < V; i++) x[i] = z[i] * 3;
    x[123_456] = -Infinity;
    const cfg = {
      temperature: 0.8,
      topK: 50,
      topP: 0.9,
      minP: 0.02,
      repetitionPenalty: 1.1,
    };
    const c = { inputIds: [5, 6, 7, 123_456], promptLength: 2 };
    sample(x, cfg, rng, c);
    const t0 = performance.now();
    const reps = 10;
    for (let i = 0; i < reps; i++) {
      const tok = sample(x, cfg, rng, c);
      expect(tok).toBeGreaterThanOrEqual(0);
    }
    const perToken = (performance.now() - t0) / reps;
    expect(perToken).toBeLessThan(50);
    const np = topP(x, 0.95);
    expect(np.some((v) => v === -Infinity)).toBe(true);
  });
});

describe("bad words and EOS", () => {
  it("ignores a one-token bad word equal to EOS in processLogits (as transformers)", () => {
    const out = processLogits(
      Float32Array.of(0, 1, 2),
      { badWordsIds: [[2], [1]], eosTokenId: 2 },
      ctx
    );
    expect(Array.from(out)).toEqual([0, -Infinity, 2]);
  });
});

describe("kthLargest (heap path for k <= 1024, quickselect above)", () => {
  it("equals the k-th entry of a full descending sort, with duplicates and -Infinity", async () => {
    const { kthLargest } = await import("../src/processors/util.js");
    const r = createRng(7);
    for (let trial = 0; trial < 60; trial++) {
      const n = 1 + r.randint(0, 5000);
      // Coarse values so duplicates are common; some rows carry -Infinity.
      const row = Float32Array.from({ length: n }, () =>
        r.random() < 0.1 ? -Infinity : Math.round(r.normal(1, 0, 4)[0] * 2) / 2
      );
      const sorted = Array.from(row).sort((a, b) => b - a);
      for (const k of [1, 2, Math.min(n, 50), Math.min(n, 1024), Math.min(n, 1025), n]) {
        // + 0 folds -0 into 0 (Math.round makes -0; the order treats them as equal).
        expect(kthLargest(row, k) + 0).toBe(sorted[k - 1] + 0);
      }
    }
  });
});
