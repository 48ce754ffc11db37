// @llmkit/eval: Evaluation: sacrebleu-exact BLEU/chrF, ROUGE, EM/F1, perplexity, pass@k, task harness, LLM-as-judge, arena ratings, RAG metrics.
// The public API is listed here by name as it lands.
export {};
