/**
 * Writes `<out>/report.html`: one self-contained page (inline CSS and SVG, no scripts, no external
 * assets) with the loss curves, the quantization table, evaluation scores, retrieval metrics and
 * the red-team summary of the stages that ran, plus `<out>/summary.json` with every stage result.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DemoContext } from './context.js';
import { barChart, escapeHtml, lineChart, table } from './svg.js';
import type { TokenizerResult } from './stages/tokenizer.js';
import type { PretrainStageResult } from './stages/pretrain.js';
import type { AlignResult } from './stages/align.js';
import type { QuantizeResult } from './stages/quantize.js';
import type { RagResult } from './stages/rag.js';
import type { EvaluateResult } from './stages/evaluate.js';
import type { RedTeamResult } from './stages/redteam.js';

const CSS = `body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1180px;padding:16px 24px;color:#111;background:#f8fafc}
h1{font-size:24px;margin:8px 0}h2{font-size:19px;margin-top:28px;border-bottom:2px solid #e5e7eb;padding-bottom:4px}
section{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:8px 16px 16px;margin:16px 0}
.charts{display:flex;flex-wrap:wrap;gap:12px}.chart{border:1px solid #e5e7eb;border-radius:6px;max-width:100%;height:auto}
table{border-collapse:collapse;margin:8px 0;font-size:13px}th,td{border:1px solid #e5e7eb;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f1f5f9}
code,pre{font-family:ui-monospace,Menlo,monospace;font-size:12px}pre{white-space:pre-wrap;background:#f1f5f9;padding:6px;border-radius:4px}
.note{color:#475569;font-size:13px}.missing{color:#b45309}.cached{color:#059669}`;

function get<R>(ctx: DemoContext, id: string): R | undefined {
  return ctx.records.get(id)?.result as R | undefined;
}

function missing(title: string): string {
  return `<p class="missing">${escapeHtml(title)} did not run (select it with --stages).</p>`;
}

export function renderReport(ctx: DemoContext, meta: { seconds: number; backend: string }): string {
  const parts: string[] = [];
  const records = [...ctx.records.values()];
  parts.push(`<h1>llmkit course demo</h1><p class="note">${escapeHtml(ctx.settings.mode)} mode &middot; backend ${escapeHtml(meta.backend)} &middot; ${meta.seconds.toFixed(0)} s this run &middot; generated ${escapeHtml(new Date().toISOString())} &middot; no network, no GPU: every number below was computed by this run (or its cached stages).</p>`);
  parts.push(`<section><h2>Stages</h2>${table(['stage', 'status', 'seconds'], records.map((r) => [r.title, r.cached ? 'cached' : 'ran', r.seconds]))}<div class="charts">${barChart('stage-times', 'Time per stage (s)', records.map((r) => r.id), [{ name: 'seconds', values: records.map((r) => r.seconds) }], 'seconds')}</div></section>`);

  // 1. tokenizer
  const tok = get<TokenizerResult>(ctx, '1-tokenizer');
  parts.push('<section><h2>1. Byte-level BPE tokenizer</h2>');
  if (tok) {
    parts.push(table(['vocabulary', 'merges', 'training chapters', 'held-out chars/token', 'bytes/char', 'lossless round trip'], [[tok.vocabSize, tok.merges, tok.trainChapters, tok.charsPerToken, tok.bytesPerChar, String(tok.roundTrip)]]));
    parts.push(`<p>${escapeHtml(tok.example.text)}</p><pre>${tok.example.pieces.map((p) => escapeHtml(JSON.stringify(p))).join(' ')}</pre>`);
  } else parts.push(missing('Stage 1'));
  parts.push('</section>');

  // 2. pretraining
  const pre = get<PretrainStageResult>(ctx, '2-pretrain');
  parts.push('<section><h2>2. Pretraining and decoding</h2>');
  if (pre) {
    parts.push(`<p>Llama (${escapeHtml(String(pre.config.num_hidden_layers))} layers, hidden ${escapeHtml(String(pre.config.hidden_size))}, ${pre.parameters.toLocaleString()} parameters), ${pre.steps} steps, ${pre.msPerStep.toFixed(0)} ms/step; ${pre.trainTokens.toLocaleString()} training tokens. Validation loss ${pre.initialValLoss.toFixed(3)} &rarr; ${pre.finalValLoss.toFixed(3)} (uniform: ${pre.uniformLoss.toFixed(3)}).</p>`);
    parts.push(
      `<div class="charts">${lineChart(
        'pretrain-loss',
        'Pretraining loss',
        [
          { name: 'training loss (per step)', points: pre.lossCurve.map((p) => [p.step, p.loss]) },
          { name: 'validation estimate', points: pre.evalCurve.filter((p) => p.valLoss !== undefined).map((p) => [p.step, p.valLoss!]), dashed: true },
          { name: 'training estimate', points: pre.evalCurve.filter((p) => p.trainLoss !== undefined).map((p) => [p.step, p.trainLoss!]), dashed: true },
        ],
        'step',
        'cross-entropy (nats/token)',
      )}</div>`,
    );
    parts.push(`<p>Prompt: <code>${escapeHtml(pre.prompt)}</code> (JSON Schema: <code>${escapeHtml(JSON.stringify(pre.jsonSchema))}</code>)</p>`);
    parts.push(table(['strategy', 'settings', 'output', 'tokens', 'log-prob', 'finish'], pre.samples.map((s) => [s.strategy, s.settings, s.text + (s.valid === undefined ? '' : s.valid ? '  \u2713 valid' : '  \u2717 invalid'), s.tokens, s.logprob, s.finishReason])));
  } else parts.push(missing('Stage 2'));
  parts.push('</section>');

  // 3. alignment
  const align = get<AlignResult>(ctx, '3-align');
  parts.push('<section><h2>3. LoRA SFT and DPO</h2>');
  if (align) {
    parts.push(
      `<div class="charts">${lineChart('sft-loss', 'LoRA SFT loss (answer tokens)', [{ name: 'training loss', points: align.sft.lossCurve.map((p) => [p.step, p.loss]) }], 'step', 'cross-entropy')}${lineChart(
        'dpo-loss',
        'DPO loss and reward accuracy',
        [
          { name: 'DPO loss', points: align.dpo.lossCurve.map((p) => [p.step, p.loss]) },
          { name: 'reward accuracy', points: align.dpo.lossCurve.filter((p) => p.accuracy !== undefined).map((p) => [p.step, p.accuracy!]), dashed: true },
        ],
        'step',
        'loss / accuracy',
      )}</div>`,
    );
    parts.push(
      table(
        ['phase', 'data', 'trainable / all parameters', 'before', 'after'],
        [
          ['LoRA SFT', `${align.sft.examples} examples`, `${align.sft.trainableParameters.toLocaleString()} / ${align.sft.allParameters.toLocaleString()}`, `held-out answer loss ${align.sft.evalLossBefore.toFixed(3)}`, `held-out answer loss ${align.sft.evalLossAfter.toFixed(3)}`],
          ['DPO', `${align.dpo.pairs} pairs`, 'LoRA adapter (reference = adapter off)', `reward accuracy ${align.dpo.before.rewardAccuracy.toFixed(2)}, loss ${align.dpo.before.loss.toFixed(3)}`, `reward accuracy ${align.dpo.after.rewardAccuracy.toFixed(2)}, loss ${align.dpo.after.loss.toFixed(3)}, margin ${align.dpo.after.rewardMargin.toFixed(3)}`],
        ],
      ),
    );
  } else parts.push(missing('Stage 3'));
  parts.push('</section>');

  // 4. quantization
  const quant = get<QuantizeResult>(ctx, '4-quantize');
  parts.push('<section><h2>4. Quantization and llama.cpp</h2>');
  if (quant) {
    parts.push(table(['method', 'runs in', 'bits/weight', 'size (KB)', 'val loss', 'val perplexity', 'weight MSE', 'GGUF tensor types', 'seconds'], quant.rows.map((r) => [r.method, r.format, r.bitsPerWeight, r.sizeBytes === null ? null : r.sizeBytes / 1024, r.valLoss, r.perplexity, r.weightMse === null ? null : r.weightMse.toExponential(2), r.tensorTypes ? Object.entries(r.tensorTypes).map(([k, v]) => `${k}\u00d7${v}`).join(' ') : null, r.seconds])));
    parts.push(
      `<div class="charts">${barChart('quant-perplexity', 'Validation perplexity by format', quant.rows.map((r) => r.method), [{ name: 'perplexity', values: quant.rows.map((r) => r.perplexity) }], 'perplexity')}${barChart('quant-bits', 'Bits per weight', quant.rows.map((r) => r.method), [{ name: 'bits/weight', values: quant.rows.map((r) => r.bitsPerWeight ?? Number.NaN) }], 'bits')}</div>`,
    );
    parts.push(`<p class="note">${escapeHtml(quant.llamaCppNote)}</p>`);
    const cmp = quant.rows.filter((r) => r.llamaCpp);
    if (cmp.length) {
      parts.push(table(['GGUF file', 'positions', 'max |Δ log p|', 'mean |Δ log p|', 'top-1 agreement', 'greedy tokens equal', 'llama.cpp greedy', 'llmkit greedy'], cmp.map((r) => [r.method, r.llamaCpp!.positions, r.llamaCpp!.maxAbsDiff.toExponential(2), r.llamaCpp!.meanAbsDiff.toExponential(2), r.llamaCpp!.top1Agreement, `${r.llamaCpp!.greedyMatch}/${r.llamaCpp!.greedyTokens}`, r.llamaCpp!.llamaCppGreedyText, r.llamaCpp!.oursGreedyText])));
    }
  } else parts.push(missing('Stage 4'));
  parts.push('</section>');

  // 5. RAG and retrieval metrics
  const rag = get<RagResult>(ctx, '5-rag');
  parts.push('<section><h2>5. RAG over the State of the Union addresses</h2>');
  if (rag) {
    parts.push(`<p>${rag.addresses} addresses &rarr; ${rag.chunks} chunks; LSA embeddings (${rag.dimension} dimensions) in pgvector on embedded PGlite (HNSW index), BM25, reciprocal rank fusion. Retrieval scored on ${rag.queries} generated keyword queries (relevant = the chunks containing the sentence the query was drawn from).</p>`);
    parts.push(table(['retriever', 'recall@1', 'recall@5', 'recall@10', 'nDCG@10', 'MRR'], rag.retrieval.map((s) => [s.retriever, s.recallAt1, s.recallAt5, s.recallAt10, s.ndcgAt10, s.mrr])));
    parts.push(`<div class="charts">${barChart('retrieval', 'Retrieval metrics', rag.retrieval.map((s) => s.retriever), [{ name: 'recall@5', values: rag.retrieval.map((s) => s.recallAt5) }, { name: 'nDCG@10', values: rag.retrieval.map((s) => s.ndcgAt10) }, { name: 'MRR', values: rag.retrieval.map((s) => s.mrr) }], 'score', { yMax: 1 })}</div>`);
    parts.push(`<p>Example query <code>${escapeHtml(rag.exampleQuery.query)}</code> (relevant: ${escapeHtml(rag.exampleQuery.relevant)})</p>`);
    parts.push(table(['question', 'sources (hybrid retrieval)', 'answer of the course model', 'citation markers'], rag.answers.map((a) => [a.question, a.sources.map((s) => `[${s.index}] ${s.president}, ${s.year}`).join('; '), a.answer, a.citations.length ? a.citations.map((c) => `${c.marker}${c.invalid ? ' (invalid)' : ''}`).join(' ') : 'none'])));
    parts.push('<p class="note">The course model is a tiny Moby Dick model: it cannot follow the citation instructions, so its answers are shown as they are; the retrieval and citation parsing are the same for a real model.</p>');
  } else parts.push(missing('Stage 5'));
  parts.push('</section>');

  // 6. evaluation
  const ev = get<EvaluateResult>(ctx, '6-evaluate');
  parts.push('<section><h2>6. Evaluation</h2>');
  if (ev) {
    parts.push(table(['model', 'val loss', 'val perplexity', 'word perplexity', 'bits/byte', 'MC acc (± stderr)', 'MC acc_norm', 'MC acc by template', 'BLEU', 'ROUGE-1', 'ROUGE-L'], ev.models.map((m) => [m.model, m.valLoss, m.perplexity, m.wordPerplexity, m.bitsPerByte, `${m.mc.acc.toFixed(2)}${m.mc.accStderr === null ? '' : ` ± ${m.mc.accStderr.toFixed(2)}`} (n ${m.mc.n})`, m.mc.accNorm, Object.entries(m.mc.categories).map(([k, v]) => `${k}: ${v.toFixed(2)}`).join(', '), m.generation.bleu, m.generation.rouge1, m.generation.rougeL])));
    parts.push(
      `<div class="charts">${barChart('eval-mc', 'Multiple-choice accuracy (Moby Dick facts)', ev.models.map((m) => m.model), [{ name: 'acc', values: ev.models.map((m) => m.mc.acc) }, { name: 'acc_norm', values: ev.models.map((m) => m.mc.accNorm) }], 'accuracy', { yMax: 1, reference: { value: ev.chance, label: 'chance' } })}${barChart('eval-generation', 'Generation metrics on held-out questions', ev.models.map((m) => m.model), [{ name: 'BLEU / 100', values: ev.models.map((m) => m.generation.bleu / 100) }, { name: 'ROUGE-1 F', values: ev.models.map((m) => m.generation.rouge1) }, { name: 'ROUGE-L F', values: ev.models.map((m) => m.generation.rougeL) }], 'score', { yMax: 1 })}${barChart('eval-perplexity', 'Validation perplexity per stage', ev.perplexityByStage.map((p) => p.stage), [{ name: 'perplexity', values: ev.perplexityByStage.map((p) => p.perplexity) }], 'perplexity')}</div>`,
    );
    parts.push('<p class="note">Per-sample harness results: <a href="6-evaluate/eval-report.html">@llmkit/eval report</a> (and <code>6-evaluate/mc-*.json</code>).</p>');
    parts.push(table(['model', 'prompt', 'reference', 'output'], ev.models.map((m) => [m.model, m.generation.example.prompt, m.generation.example.reference, m.generation.example.output])));
  } else parts.push(missing('Stage 6'));
  parts.push('</section>');

  // 7. red team
  const red = get<RedTeamResult>(ctx, '7-redteam');
  parts.push('<section><h2>7. Red team</h2>');
  if (red) {
    const targets = [...new Set(red.runs.map((r) => r.target))];
    parts.push(`<p>${red.probes.length} probes &times; ${red.attemptsPerProbe} attempts per target. Attack success rate (ASR) = successful attacks / attempts; lower is better.</p>`);
    parts.push(
      `<div class="charts">${barChart('redteam-overall', 'Attack success rate', targets, [{ name: 'no guard', values: targets.map((t) => red.runs.find((r) => r.target === t && !r.guarded)?.overall.asr ?? Number.NaN) }, { name: 'with guard', values: targets.map((t) => red.runs.find((r) => r.target === t && r.guarded)?.overall.asr ?? Number.NaN) }], 'ASR', { yMax: 1 })}`,
    );
    const cats = [...new Set(red.runs.flatMap((r) => r.byCategory.map((c) => c.name)))];
    parts.push(`${barChart('redteam-categories', 'ASR by attack category (course model)', cats, red.runs.filter((r) => r.target === targets[0]).map((r) => ({ name: r.guarded ? 'with guard' : 'no guard', values: cats.map((c) => r.byCategory.find((x) => x.name === c)?.asr ?? Number.NaN) })), 'ASR', { yMax: 1 })}</div>`);
    parts.push(table(['target', 'guard', 'attempts', 'successes', 'ASR', 'guard incidents', 'ordinary questions blocked', 'example attack', 'example output'], red.runs.map((r) => [r.target, r.guarded ? 'on' : 'off', r.overall.attempts, r.overall.successes, r.overall.asr, r.guarded ? r.incidents : null, r.benignBlocked ? `${r.benignBlocked.blocked}/${r.benignBlocked.total}${r.benignBlocked.reasons.length ? ` (${r.benignBlocked.reasons.join('; ')})` : ''}` : null, r.example ? `${r.example.probe}: ${r.example.prompt}` : null, r.example?.output ?? null])));
    parts.push(`<p class="note">Every attempt: ${red.runs.map((r, i) => `<a href="7-redteam/redteam-${i + 1}.html">${escapeHtml(`${r.target}${r.guarded ? ' + guard' : ''}`)}</a>`).join(', ')} (@llmkit/security's red-team pages; JSON beside them).</p>`);
  } else parts.push(missing('Stage 7'));
  parts.push('</section>');

  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>llmkit course demo report</title><style>${CSS}</style></head><body>${parts.join('\n')}</body></html>\n`;
}

/** Writes report.html and summary.json into the output folder; returns the report's path. */
export function writeReport(ctx: DemoContext, meta: { seconds: number; backend: string }): string {
  const file = join(ctx.outDir, 'report.html');
  writeFileSync(file, renderReport(ctx, meta));
  writeFileSync(join(ctx.outDir, 'summary.json'), JSON.stringify({ mode: ctx.settings.mode, seconds: meta.seconds, stages: Object.fromEntries([...ctx.records].map(([k, v]) => [k, { cached: v.cached, seconds: v.seconds, result: v.result }])) }, null, 1));
  return file;
}
