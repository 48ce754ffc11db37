import type { ChatMessage, Completion, LanguageModel } from '@llmkit/core';
import { describe, expect, it } from 'vitest';
import { EvalError } from '../src/errors.js';
import { agreementRate, bradleyTerry, cohenKappa, judgePairwise, judgeSingle, onlineElo, parseVerdict, type Battle } from '../src/index.js';

/** A judge that answers from a script: a function of the user prompt. */
class ScriptedJudge implements LanguageModel {
  readonly id = 'scripted-judge';
  prompts: ChatMessage[][] = [];
  constructor(private readonly reply: (user: string) => string) {}
  async *generate() {
    yield { text: '', finishReason: 'stop' as const };
  }
  async complete(prompt: string | ChatMessage[]): Promise<Completion> {
    const messages = prompt as ChatMessage[];
    this.prompts.push(messages);
    return { text: this.reply(messages[messages.length - 1]!.content), finishReason: 'stop' };
  }
}

/** The answer shown in position A / B of a pairwise prompt. */
function shown(user: string): { a: string; b: string } {
  const a = /\[The Start of Assistant A's Answer\]\n([\s\S]*?)\n\[The End/.exec(user)![1]!;
  const b = /\[The Start of Assistant B's Answer\]\n([\s\S]*?)\n\[The End/.exec(user)![1]!;
  return { a, b };
}

describe('parseVerdict', () => {
  it('reads ratings in MT-Bench and free-text formats', () => {
    expect(parseVerdict('Good answer. Rating: [[8]]', { kind: 'rating' })).toEqual({ type: 'rating', rating: 8 });
    expect(parseVerdict('Rating: [7.5]', { kind: 'rating' })).toEqual({ type: 'rating', rating: 7.5 });
    expect(parseVerdict('I would give it a score of 6/10.', { kind: 'rating' })).toEqual({ type: 'rating', rating: 6 });
    expect(parseVerdict('Overall: 9 out of 10', { kind: 'rating' })).toEqual({ type: 'rating', rating: 9 });
    // The format example restated before the real rating: the last one counts.
    expect(parseVerdict('Format "[[rating]]", e.g. "Rating: [[5]]". My rating: [[3]]', { kind: 'rating' })).toEqual({ type: 'rating', rating: 3 });
    expect(parseVerdict('Rating: [[42]]', { kind: 'rating' }).type).toBe('unparsed');
    expect(parseVerdict('no idea', { kind: 'rating' })).toEqual({ type: 'unparsed', text: 'no idea' });
  });

  it('reads pairwise verdicts: [[A]]/[[B]]/[[C]] and free text', () => {
    const p = (t: string) => parseVerdict(t, { kind: 'pairwise' });
    expect(p('... therefore [[A]]')).toEqual({ type: 'pairwise', winner: 'A' });
    expect(p('[[B]]')).toEqual({ type: 'pairwise', winner: 'B' });
    expect(p('Both fine. [[C]]')).toEqual({ type: 'pairwise', winner: 'tie' });
    expect(p('Final verdict: B')).toEqual({ type: 'pairwise', winner: 'B' });
    expect(p('Assistant A is clearly better.')).toEqual({ type: 'pairwise', winner: 'A' });
    expect(p("It's a tie.")).toEqual({ type: 'pairwise', winner: 'tie' });
    // Lowercase "a" is the article, not assistant A.
    expect(p('Final verdict: a tie')).toEqual({ type: 'pairwise', winner: 'tie' });
    expect(p('Verdict: [B]')).toEqual({ type: 'pairwise', winner: 'B' });
    expect(p('I cannot decide.').type).toBe('unparsed');
  });

  it('strict mode throws a typed error', () => {
    let error: unknown;
    try {
      parseVerdict('hmm', { kind: 'pairwise', strict: true });
    } catch (e) {
      error = e;
    }
    expect(EvalError.isInstance(error)).toBe(true);
    expect((error as EvalError).code).toBe('eval_verdict_unparsed');
    expect(() => parseVerdict('x', { kind: 'score' as never })).toThrow(/kind/);
  });
});

describe('judgeSingle', () => {
  it('sends the MT-Bench single-answer prompt (with rubric and reference) and parses the rating', async () => {
    const judge = new ScriptedJudge((user) => (user.includes('Paris') ? 'Correct and concise. Rating: [[9]]' : 'Wrong. Rating: [[2]]'));
    const good = await judgeSingle(judge, { question: 'Capital of France?', answer: 'Paris' });
    const bad = await judgeSingle(judge, { question: 'Capital of France?', answer: 'Lyon' }, { rubric: '10 = correct city, 1 = wrong city' });
    expect(good.rating).toBe(9);
    expect(bad.rating).toBe(2);
    expect(judge.prompts[0]![0]!.content).toBe('You are a helpful assistant.');
    expect(judge.prompts[0]![1]!.content).toContain('[Question]\nCapital of France?');
    expect(judge.prompts[0]![1]!.content).toContain('"[[rating]]"');
    expect(judge.prompts[1]![1]!.content).toContain('Use this rubric:\n10 = correct city, 1 = wrong city');
    const withRef = await judgeSingle(judge, { question: 'q', answer: 'a', reference: 'Paris' });
    expect(withRef.prompt[1]!.content).toContain('[The Start of Reference Answer]\nParis');
    const unparsed = await judgeSingle(new ScriptedJudge(() => 'I refuse.'), { question: 'q', answer: 'a' });
    expect(unparsed.rating).toBeNull();
    await expect(judgeSingle(new ScriptedJudge(() => 'I refuse.'), { question: 'q', answer: 'a' }, { strict: true })).rejects.toMatchObject({ code: 'eval_verdict_unparsed' });
  });
});

describe('judgePairwise with position swapping', () => {
  it('a consistent judge picks the better answer in both orders', async () => {
    const judge = new ScriptedJudge((user) => {
      const { a, b } = shown(user);
      return a.length > b.length ? 'A is more detailed. [[A]]' : b.length > a.length ? 'B is more detailed. [[B]]' : '[[C]]';
    });
    const r = await judgePairwise(judge, { question: 'q', answerA: 'short', answerB: 'a much longer answer', modelA: 'm1', modelB: 'm2' });
    expect(judge.prompts).toHaveLength(2);
    expect(shown(judge.prompts[0]![1]!.content)).toEqual({ a: 'short', b: 'a much longer answer' });
    expect(shown(judge.prompts[1]![1]!.content)).toEqual({ a: 'a much longer answer', b: 'short' });
    expect(r.rounds.map((x) => x.winner)).toEqual(['B', 'B']);
    expect(r).toMatchObject({ winner: 'B', consistent: true, unparsed: false, battle: { model_a: 'm1', model_b: 'm2', winner: 'model_b' } });
  });

  it('a judge that always prefers position A is cancelled to a tie (MT-Bench "inconsistent")', async () => {
    const judge = new ScriptedJudge(() => 'The first one. [[A]]');
    const r = await judgePairwise(judge, { question: 'q', answerA: 'x', answerB: 'y' });
    expect(r.rounds.map((x) => x.winner)).toEqual(['A', 'B']);
    expect(r).toMatchObject({ winner: 'tie', consistent: false, battle: { winner: 'tie' } });
    const noSwap = await judgePairwise(judge, { question: 'q', answerA: 'x', answerB: 'y' }, { swap: false });
    expect(noSwap.winner).toBe('A');
  });

  it('an unparsable round makes the pair a tie and is flagged', async () => {
    let n = 0;
    const judge = new ScriptedJudge(() => (n++ === 0 ? '[[A]]' : 'both have merits'));
    const r = await judgePairwise(judge, { question: 'q', answerA: 'x', answerB: 'y' });
    expect(r).toMatchObject({ winner: 'tie', consistent: false, unparsed: true });
    expect(r.rounds[1]!.winner).toBe('unparsed');
  });

  it('judge battles feed the arena ratings', async () => {
    const quality: Record<string, number> = { strong: 3, mid: 2, weak: 1 };
    const judge = new ScriptedJudge((user) => {
      const { a, b } = shown(user);
      return quality[a]! > quality[b]! ? '[[A]]' : quality[a]! < quality[b]! ? '[[B]]' : '[[C]]';
    });
    const pairs: Array<[string, string]> = [['strong', 'mid'], ['mid', 'weak'], ['weak', 'strong'], ['mid', 'strong'], ['weak', 'mid'], ['strong', 'weak']];
    const battles: Battle[] = [];
    for (const [x, y] of pairs) battles.push((await judgePairwise(judge, { question: 'q', answerA: x, answerB: y, modelA: x, modelB: y })).battle);
    const elo = onlineElo(battles);
    expect(elo.leaderboard.map((r) => r.model)).toEqual(['strong', 'mid', 'weak']);
    expect(() => bradleyTerry(battles)).toThrow(/no finite maximum/); // "strong" never lost
  });
});

describe('agreement statistics', () => {
  it('agreement rate and Cohen kappa (hand-derived)', () => {
    // po = 3/4; label A: 0.5 * 0.25, label B: 0.5 * 0.75 -> pe = 0.5; kappa = (0.75 - 0.5) / 0.5 = 0.5.
    expect(cohenKappa(['A', 'A', 'B', 'B'], ['A', 'B', 'B', 'B'])).toBeCloseTo(0.5, 15);
    expect(agreementRate(['A', 'A', 'B', 'B'], ['A', 'B', 'B', 'B'])).toBe(0.75);
    // Three labels: a = [A,B,tie,A,B,tie], b = [A,B,A,A,tie,tie]: po = 4/6; a's freqs A 2, B 2, tie 2;
    // b's A 3, B 1, tie 2 -> pe = (2*3 + 2*1 + 2*2) / 36 = 1/3; kappa = (2/3 - 1/3) / (2/3) = 0.5.
    expect(cohenKappa(['A', 'B', 'tie', 'A', 'B', 'tie'], ['A', 'B', 'A', 'A', 'tie', 'tie'])).toBeCloseTo(0.5, 15);
    expect(cohenKappa([1, 2, 1, 2], [2, 1, 2, 1])).toBeCloseTo(-1, 15);
    expect(cohenKappa(['A', 'A'], ['A', 'A'])).toBeNaN();
    expect(() => cohenKappa(['A'], ['A', 'B'])).toThrow(/1 and 2 items/);
  });
});
