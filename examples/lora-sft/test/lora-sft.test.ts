import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateInstructions, INTENTS, runLoraSft } from '../src/main.js';

const dir = mkdtempSync(join(tmpdir(), 'llmkit-example-sft-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('example: lora-sft', () => {
  it('generates instructions whose answer is the intent of the keyword, with disjoint train / held-out fillers', () => {
    const { train, test } = generateInstructions(50, 10);
    const fillers = (records: typeof train) => new Set(records.flatMap((r) => r.messages[0]!.content.split(/[ ,?]+/).filter(Boolean)));
    const trainWords = fillers(train);
    const testOnly = [...fillers(test)].filter((w) => !['tell', 'me', 'about', 'the', ...INTENTS.flatMap((i) => i.keywords.flatMap((k) => k.split(' ')))].includes(w));
    expect(testOnly.some((w) => trainWords.has(w))).toBe(false);
    for (const r of [...train, ...test]) {
      const intent = INTENTS.find((i) => i.answer === r.messages[1]!.content)!;
      expect(intent.keywords.some((k) => r.messages[0]!.content.includes(`the ${k} `))).toBe(true);
    }
  });

  it('LoRA SFT lowers the held-out completion loss, saves a PEFT adapter, and the reloaded adapter answers the same', async () => {
    const lines: string[] = [];
    const r = await runLoraSft({ cacheDir: dir, pretrainSteps: 0, steps: 15, examples: 64, outDir: join(dir, 'out'), progress: false, log: (l) => lines.push(l) });
    // r=8 adapters on the 7 linear layers of 2 Llama blocks (hidden 64, intermediate 128):
    // q,o: 8*(64+64); k,v (2 KV heads x 16 = 32 wide): 8*(64+32); gate,up: 8*(64+128); down: 8*(128+64) -> per layer 8*(128*2+96*2+192*3) = 8192.
    expect(r.trainable).toBe(2 * 8192);
    expect(r.evalLossAfter).toBeLessThan(r.evalLossBefore - 0.3);
    expect(r.exactMatchBefore).toBe(0);
    expect(r.reloadedSame).toBe(true);
    expect(existsSync(join(r.adapterDir, 'adapter_model.safetensors'))).toBe(true);
    expect(JSON.parse(readFileSync(join(r.adapterDir, 'adapter_config.json'), 'utf8'))).toMatchObject({ peft_type: 'LORA', r: 8, lora_alpha: 16 });
    expect(lines.some((l) => l.startsWith('trainable params: 16,384 || all params:'))).toBe(true);
  });
});
