/**
 * The demo's settings: one object per mode. `--quick` is small enough to finish in under three
 * minutes on two shared cores; the full run is the course's real-size walk-through (under 20
 * minutes here). Every stage's cache key includes its part of these settings.
 */
export interface DemoSettings {
  mode: 'quick' | 'full';
  seed: number;
  tokenizer: { vocabSize: number; chapters: number };
  model: { maxPositions: number; hidden: number; layers: number; heads: number; kvHeads: number; blockSize: number; batchSize: number; steps: number; lr: number; evalInterval: number; evalIters: number };
  sampling: { maxNewTokens: number; numBeams: number };
  sft: { steps: number; batchSize: number; lr: number; r: number; alpha: number };
  dpo: { steps: number; batchSize: number; lr: number; beta: number; r: number; alpha: number };
  quant: { groupSize: number; calibrationWindows: number; compareTokens: number; greedyTokens: number };
  rag: { minYear: number; chunkSize: number; chunkOverlap: number; lsaDimension: number; queries: number; questions: number; maxNewTokens: number };
  eval: { valWindows: number; passageChars: number; passages: number; mcLimit: number; genLimit: number };
  redteam: { attempts: number; probes: string[] | 'all'; maxNewTokens: number };
}

export const QUICK: DemoSettings = {
  mode: 'quick',
  seed: 1337,
  tokenizer: { vocabSize: 384, chapters: 40 },
  model: { maxPositions: 1024, hidden: 64, layers: 2, heads: 4, kvHeads: 2, blockSize: 64, batchSize: 8, steps: 100, lr: 4e-3, evalInterval: 10, evalIters: 2 },
  sampling: { maxNewTokens: 24, numBeams: 3 },
  sft: { steps: 12, batchSize: 8, lr: 3e-3, r: 8, alpha: 16 },
  dpo: { steps: 6, batchSize: 4, lr: 2e-3, beta: 0.1, r: 8, alpha: 16 },
  quant: { groupSize: 32, calibrationWindows: 4, compareTokens: 32, greedyTokens: 8 },
  rag: { minYear: 2014, chunkSize: 500, chunkOverlap: 50, lsaDimension: 48, queries: 20, questions: 2, maxNewTokens: 24 },
  eval: { valWindows: 4, passageChars: 200, passages: 3, mcLimit: 8, genLimit: 4 },
  redteam: { attempts: 1, probes: ['dan.classic', 'override.ignore_previous', 'extraction.system_prompt', 'indirect.rag_document', 'harmful.refusal_expected'], maxNewTokens: 16 },
};

export const FULL: DemoSettings = {
  mode: 'full',
  seed: 1337,
  tokenizer: { vocabSize: 1024, chapters: 1000 },
  model: { maxPositions: 1024, hidden: 128, layers: 2, heads: 4, kvHeads: 2, blockSize: 64, batchSize: 12, steps: 500, lr: 2e-3, evalInterval: 50, evalIters: 8 },
  sampling: { maxNewTokens: 48, numBeams: 4 },
  sft: { steps: 80, batchSize: 8, lr: 2e-3, r: 16, alpha: 32 },
  dpo: { steps: 30, batchSize: 8, lr: 1e-3, beta: 0.1, r: 8, alpha: 16 },
  quant: { groupSize: 32, calibrationWindows: 16, compareTokens: 64, greedyTokens: 16 },
  rag: { minYear: 1790, chunkSize: 600, chunkOverlap: 80, lsaDimension: 128, queries: 100, questions: 4, maxNewTokens: 48 },
  eval: { valWindows: 20, passageChars: 400, passages: 10, mcLimit: 40, genLimit: 12 },
  redteam: { attempts: 2, probes: 'all', maxNewTokens: 32 },
};
