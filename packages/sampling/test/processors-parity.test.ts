// Parity with transformers' logits processors (fixtures from tools/fixtures/gen_logits_processors.py).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  badWords,
  epsilonCutoff,
  etaCutoff,
  minNewTokens,
  minP,
  noRepeatNgram,
  processLogits,
  repetitionPenalty,
  temperature,
  topK,
  topP,
  typicalP,
} from "../src/processors/index.js";
import type { SamplingConfig } from "../src/types.js";

interface Row {
  kind: string;
  logits: (number | null)[];
  inputIds: number[];
  promptLength: number;
}
interface Case {
  name: string;
  row: number;
  args: Record<string, unknown>;
  expected: (number | null)[];
}
const fixture = JSON.parse(
  readFileSync(new URL("./fixtures/processors.json", import.meta.url), "utf8")
) as { rows: Row[]; cases: Case[] };
const toF32 = (a: (number | null)[]): Float32Array =>
  Float32Array.from(a, (v) => (v === null ? -Infinity : v));

function run(c: Case, row: Row): Float32Array {
  const x = toF32(row.logits);
  const a = c.args as Record<string, never>;
  const ctx = { inputIds: row.inputIds, promptLength: row.promptLength };
  switch (c.name) {
    case "temperature":
      return temperature(x, a.t);
    case "topK":
      return topK(x, a.k);
    case "topP":
      return topP(x, a.p);
    case "minP":
      return minP(x, a.minP);
    case "typicalP":
      return typicalP(x, a.mass);
    case "epsilonCutoff":
      return epsilonCutoff(x, a.epsilon);
    case "etaCutoff":
      return etaCutoff(x, a.eta);
    case "repetitionPenalty":
      return repetitionPenalty(x, a.penalty, row.inputIds);
    case "noRepeatNgram":
      return noRepeatNgram(x, a.size, row.inputIds);
    case "badWords":
      return badWords(x, a.badWordsIds, row.inputIds);
    case "minNewTokens":
      return minNewTokens(x, a.minNew, a.eosTokenId, ctx);
    case "chain":
      return processLogits(x, a.config as SamplingConfig, ctx);
    default:
      throw new Error(`unknown case ${c.name}`);
  }
}

describe("parity with transformers logits processors", () => {
  const names = [...new Set(fixture.cases.map((c) => c.name))];
  it("covers every processor and the chained list", () => {
    expect(names.sort()).toEqual(
      [
        "badWords",
        "chain",
        "epsilonCutoff",
        "etaCutoff",
        "minNewTokens",
        "minP",
        "noRepeatNgram",
        "repetitionPenalty",
        "temperature",
        "topK",
        "topP",
        "typicalP",
      ].sort()
    );
  });
  for (const name of names) {
    it(`${name} matches to 1e-6 (vocab 8/40/300; normal, ties, -inf)`, () => {
      for (const c of fixture.cases.filter((k) => k.name === name)) {
        const row = fixture.rows[c.row];
        const got = run(c, row);
        const want = toF32(c.expected);
        expect(got.length).toBe(want.length);
        for (let i = 0; i < want.length; i++) {
          const label = `${name} ${JSON.stringify(c.args)} ${row.kind} V=${
            want.length
          } i=${i}`;
          if (want[i] === -Infinity) expect(got[i], label).toBe(-Infinity);
          else
            expect(Math.abs(got[i] - want[i]), label).toBeLessThanOrEqual(1e-6);
        }
      }
    });
  }
});
