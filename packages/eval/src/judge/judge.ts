/**
 * LLM-as-judge as MT-Bench does it (FastChat fastchat/llm_judge, judge_prompts.jsonl): single-answer
 * grading on a 1-10 scale ("single-v1", "single-ref-v1") and pairwise comparison ("pair-v2") run in
 * both orders, where a verdict counts only when both orders agree (otherwise a tie, "inconsistent").
 */
import type { ChatMessage, GenerateOptions, LanguageModel } from '@llmkit/core';
import type { Battle } from '../arena/battles.js';
import { EvalError } from '../errors.js';
import { parseVerdict, type Verdict } from './verdict.js';

const DEFAULT_CRITERIA =
  'Your evaluation should consider factors such as the helpfulness, relevance, accuracy, depth, creativity, and level of detail of the response.';

/** One item to grade. */
export interface SingleJudgeInput {
  question: string;
  answer: string;
  /** A reference answer (MT-Bench's "single-ref" prompt, for math and reasoning). */
  reference?: string;
}

/** Options shared by the judges. */
export interface JudgeOptions {
  /** Grading criteria replacing MT-Bench's default factors sentence (e.g. a task rubric). */
  rubric?: string;
  /** Generation options for the judge. Default `{ temperature: 0, maxNewTokens: 2048 }` (MT-Bench). */
  generation?: GenerateOptions;
  /** Throw `eval_verdict_unparsed` instead of returning an unparsed verdict. */
  strict?: boolean;
}

/** Result of {@link judgeSingle}. */
export interface SingleJudgement {
  /** The rating, or null when the output held none. */
  rating: number | null;
  verdict: Verdict;
  /** The judge's full output. */
  judgment: string;
  prompt: ChatMessage[];
}

/** The MT-Bench single-answer prompt (single-v1 / single-ref-v1), with an optional rubric. */
export function singleJudgePrompt(input: SingleJudgeInput, rubric?: string): ChatMessage[] {
  const criteria = rubric ? `Use this rubric:\n${rubric}\n` : DEFAULT_CRITERIA;
  const refSentence = input.reference !== undefined ? ' You will be given a reference answer and the assistant\'s answer. Your evaluation should focus on the assistant\'s answer. Begin your evaluation by comparing the assistant\'s answer with the reference answer. Identify and correct any mistakes.' : ' Begin your evaluation by providing a short explanation.';
  const instruction =
    `[Instruction]\nPlease act as an impartial judge and evaluate the quality of the response provided by an AI assistant to the user question displayed below. ${criteria}` +
    `${refSentence} Be as objective as possible. After providing your explanation, you must rate the response on a scale of 1 to 10 by strictly following this format: "[[rating]]", for example: "Rating: [[5]]".\n\n`;
  const reference = input.reference !== undefined ? `[The Start of Reference Answer]\n${input.reference}\n[The End of Reference Answer]\n\n` : '';
  return [
    { role: 'system', content: 'You are a helpful assistant.' },
    {
      role: 'user',
      content: `${instruction}[Question]\n${input.question}\n\n${reference}[The Start of Assistant's Answer]\n${input.answer}\n[The End of Assistant's Answer]`,
    },
  ];
}

/** The MT-Bench pairwise prompt (pair-v2; pair-ref-v1 with a reference), with an optional rubric. */
export function pairwiseJudgePrompt(question: string, answerA: string, answerB: string, options: { rubric?: string; reference?: string } = {}): ChatMessage[] {
  const criteria = options.rubric
    ? `Use this rubric:\n${options.rubric}\n`
    : 'Your evaluation should consider factors such as the helpfulness, relevance, accuracy, depth, creativity, and level of detail of their responses.';
  const system =
    'Please act as an impartial judge and evaluate the quality of the responses provided by two AI assistants to the user question displayed below. ' +
    `You should choose the assistant that follows the user's instructions and answers the user's question better. ${criteria} ` +
    (options.reference !== undefined ? 'You will be given a reference answer; compare both assistants\' answers with it. ' : '') +
    'Begin your evaluation by comparing the two responses and provide a short explanation. Avoid any position biases and ensure that the order in which the responses were presented does not influence your decision. ' +
    'Do not allow the length of the responses to influence your evaluation. Do not favor certain names of the assistants. Be as objective as possible. ' +
    'After providing your explanation, output your final verdict by strictly following this format: "[[A]]" if assistant A is better, "[[B]]" if assistant B is better, and "[[C]]" for a tie.';
  const reference = options.reference !== undefined ? `[The Start of Reference Answer]\n${options.reference}\n[The End of Reference Answer]\n\n` : '';
  return [
    { role: 'system', content: system },
    {
      role: 'user',
      content: `[User Question]\n${question}\n\n${reference}[The Start of Assistant A's Answer]\n${answerA}\n[The End of Assistant A's Answer]\n\n[The Start of Assistant B's Answer]\n${answerB}\n[The End of Assistant B's Answer]`,
    },
  ];
}

function checkJudge(judge: LanguageModel, name: string): void {
  if (!judge || typeof judge.complete !== 'function') throw new EvalError('eval_invalid_option', `${name}: judge must be a LanguageModel (with complete()).`);
}

function checkText(value: unknown, field: string, name: string): void {
  if (typeof value !== 'string') throw new EvalError('eval_invalid_option', `${name}: ${field} must be a string.`);
}

async function ask(judge: LanguageModel, prompt: ChatMessage[], options: JudgeOptions): Promise<string> {
  const { text } = await judge.complete(prompt, { temperature: 0, maxNewTokens: 2048, ...options.generation });
  return text;
}

/**
 * Grade one answer on a 1-10 scale with MT-Bench's single-answer prompt.
 * @throws EvalError `eval_invalid_option` for bad input; `eval_verdict_unparsed` with `strict`.
 * @example
 * const { rating } = await judgeSingle(judgeModel, { question: 'What is 2+2?', answer: '4' });
 */
export async function judgeSingle(judge: LanguageModel, input: SingleJudgeInput, options: JudgeOptions = {}): Promise<SingleJudgement> {
  checkJudge(judge, 'judgeSingle');
  checkText(input?.question, 'input.question', 'judgeSingle');
  checkText(input?.answer, 'input.answer', 'judgeSingle');
  const prompt = singleJudgePrompt(input, options.rubric);
  const judgment = await ask(judge, prompt, options);
  const verdict = parseVerdict(judgment, { kind: 'rating', strict: options.strict });
  return { rating: verdict.type === 'rating' ? verdict.rating : null, verdict, judgment, prompt };
}

/** One pair to compare. */
export interface PairwiseJudgeInput {
  question: string;
  /** Answer of the first model. */
  answerA: string;
  /** Answer of the second model. */
  answerB: string;
  reference?: string;
  /** Model names, used for the `battle` record (default "model_a" / "model_b"). */
  modelA?: string;
  modelB?: string;
}

/** Result of {@link judgePairwise}. */
export interface PairwiseJudgement {
  /** Final winner with position swapping: consistent verdicts only, otherwise a tie. */
  winner: 'A' | 'B' | 'tie';
  /** Both orders gave the same (parsed) verdict. */
  consistent: boolean;
  /** Some round's output held no verdict (the pair then counts as a tie). */
  unparsed: boolean;
  /** Verdict of each round in terms of the original A/B: [A shown first, B shown first]. */
  rounds: Array<{ verdict: Verdict; winner: 'A' | 'B' | 'tie' | 'unparsed'; judgment: string }>;
  /** The outcome as an arena battle (FastChat winner names), for onlineElo / bradleyTerry. */
  battle: Battle;
}

/**
 * Compare two answers with MT-Bench's pairwise prompt in both orders (A/B, then B/A) to cancel
 * position bias: a winner only when both rounds agree, otherwise a tie (`consistent: false`).
 * @throws EvalError `eval_invalid_option` for bad input; `eval_verdict_unparsed` with `strict`.
 * @example
 * const { winner, consistent, battle } = await judgePairwise(judgeModel, { question, answerA, answerB, modelA: 'gpt-a', modelB: 'gpt-b' });
 */
export async function judgePairwise(judge: LanguageModel, input: PairwiseJudgeInput, options: JudgeOptions & { swap?: boolean } = {}): Promise<PairwiseJudgement> {
  checkJudge(judge, 'judgePairwise');
  for (const f of ['question', 'answerA', 'answerB'] as const) checkText(input?.[f], `input.${f}`, 'judgePairwise');
  const swap = options.swap ?? true;
  const orders: Array<[string, string, boolean]> = [[input.answerA, input.answerB, false]];
  if (swap) orders.push([input.answerB, input.answerA, true]);
  const rounds: PairwiseJudgement['rounds'] = [];
  for (const [first, second, swapped] of orders) {
    const judgment = await ask(judge, pairwiseJudgePrompt(input.question, first, second, { rubric: options.rubric, reference: input.reference }), options);
    const verdict = parseVerdict(judgment, { kind: 'pairwise', strict: options.strict });
    let winner: 'A' | 'B' | 'tie' | 'unparsed' = 'unparsed';
    if (verdict.type === 'pairwise') winner = verdict.winner === 'tie' ? 'tie' : swapped ? (verdict.winner === 'A' ? 'B' : 'A') : verdict.winner;
    rounds.push({ verdict, winner, judgment });
  }
  const unparsed = rounds.some((r) => r.winner === 'unparsed');
  const consistent = !unparsed && rounds.every((r) => r.winner === rounds[0]!.winner);
  const winner = consistent ? (rounds[0]!.winner as 'A' | 'B' | 'tie') : 'tie';
  const battle: Battle = {
    model_a: input.modelA ?? 'model_a',
    model_b: input.modelB ?? 'model_b',
    winner: winner === 'A' ? 'model_a' : winner === 'B' ? 'model_b' : 'tie',
  };
  return { winner, consistent, unparsed, rounds, battle };
}
