import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CharTokenizer } from '@llmkit/model';
import { applyChatTemplate } from '@llmkit/tokenizer';
import { DpoError, extractPrompt, readKtoJsonl, readPreferenceJsonl, tokenizeKto, tokenizePreference, unpairPreferences } from '../src/index.js';

const user = (content: string) => ({ role: 'user' as const, content });
const assistant = (content: string) => ({ role: 'assistant' as const, content });

function dataError(fn: () => unknown): DpoError {
  try {
    fn();
  } catch (e) {
    expect(DpoError.isInstance(e)).toBe(true);
    return e as DpoError;
  }
  throw new Error('expected a DpoError');
}

describe('readPreferenceJsonl: TRL formats', () => {
  it('reads standard and conversational records with explicit and implicit prompts', () => {
    const lines = [
      { prompt: 'The sky is', chosen: ' blue.', rejected: ' green.' },
      { chosen: 'The sky is blue.', rejected: 'The sky is green.' },
      { prompt: [user('What color is the sky?')], chosen: [assistant('It is blue.')], rejected: [assistant('It is green.')] },
      {
        chosen: [user('What color is the sky?'), assistant('It is blue.')],
        rejected: [user('What color is the sky?'), assistant('It is green.')],
      },
    ];
    const dir = mkdtempSync(join(tmpdir(), 'dpo-data-'));
    const file = join(dir, 'pairs.jsonl');
    writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n\n');
    const examples = readPreferenceJsonl(file);
    expect(examples).toHaveLength(4);
    expect(examples[0]).toEqual({ prompt: 'The sky is', chosen: ' blue.', rejected: ' green.' });
    // TRL extract_prompt: longest common prefix, the space before the split moves to the completions
    expect(examples[1]).toEqual({ prompt: 'The sky is', chosen: ' blue.', rejected: ' green.' });
    expect(examples[2].prompt).toEqual([user('What color is the sky?')]);
    expect(examples[3]).toEqual({ prompt: [user('What color is the sky?')], chosen: [assistant('It is blue.')], rejected: [assistant('It is green.')] });
    expect(extractPrompt({ chosen: 'abcX', rejected: 'abcY' })).toEqual({ prompt: 'abc', chosen: 'X', rejected: 'Y' });
  });

  it('names the line of a malformed record', () => {
    const good = JSON.stringify({ prompt: 'a', chosen: 'b', rejected: 'c' });
    let e = dataError(() => readPreferenceJsonl({ text: `${good}\n${good}\n{"prompt": "a", "chosen": "b"}\n` }));
    expect(e.code).toBe('preference_data');
    expect(e.line).toBe(3);
    expect(e.message).toMatch(/<text>:3: missing "rejected"/);
    e = dataError(() => readPreferenceJsonl({ text: `${good}\n{not json\n` }));
    expect(e.line).toBe(2);
    expect(e.message).toMatch(/not valid JSON/);
    e = dataError(() => readPreferenceJsonl({ text: JSON.stringify({ prompt: 'a', chosen: [assistant('x')], rejected: 'y' }) }));
    expect(e.message).toMatch(/both be strings or both be message lists/);
    e = dataError(() => readPreferenceJsonl({ text: JSON.stringify({ chosen: [{ role: 'bot', content: 'x' }], rejected: [assistant('y')] }) }));
    expect(e.message).toMatch(/"chosen"\[0\] is not a chat message/);
    e = dataError(() => readPreferenceJsonl({ text: JSON.stringify({ prompt: 'a', completion: 'b', label: true }) }));
    expect(e.message).toMatch(/unpaired KTO record.*readKtoJsonl/);
    e = dataError(() => readPreferenceJsonl('/nonexistent/pairs.jsonl'));
    expect(e.message).toMatch(/Cannot read \/nonexistent\/pairs.jsonl/);
  });

  it('reads unpaired KTO records and checks the label', () => {
    const text = [
      JSON.stringify({ prompt: 'Call me', completion: ' Ishmael.', label: true }),
      JSON.stringify({ prompt: [user('Hi')], completion: [assistant('Go away')], label: false }),
    ].join('\n');
    const examples = readKtoJsonl({ text });
    expect(examples.map((e) => e.label)).toEqual([true, false]);
    const e = dataError(() => readKtoJsonl({ text: `${text}\n${JSON.stringify({ prompt: 'a', completion: 'b', label: 'yes' })}` }));
    expect(e.line).toBe(3);
    expect(e.message).toMatch(/"label" must be true \(desirable\) or false/);
    expect(unpairPreferences([{ prompt: 'p', chosen: 'c', rejected: 'r' }])).toEqual([
      { prompt: 'p', completion: 'c', label: true },
      { prompt: 'p', completion: 'r', label: false },
    ]);
  });
});

describe('tokenization with masks over the completion tokens', () => {
  it('plain concatenation: prompt ids then completion ids (+ EOS), mask on the completion', () => {
    const tokenizer = CharTokenizer.fromText('The sky is blue.green#');
    const eos = tokenizer.encode('#')[0];
    const pair = tokenizePreference({ prompt: 'The sky is', chosen: ' blue.', rejected: ' green.' }, { tokenizer, eosTokenId: eos });
    expect(tokenizer.decode(pair.chosen.inputIds)).toBe('The sky is blue.#');
    expect(pair.chosen.completionMask).toEqual([...Array(10).fill(0), ...Array(7).fill(1)]);
    expect(pair.rejected.promptLength).toBe(10);
    const masked = pair.rejected.inputIds.filter((_, i) => pair.rejected.completionMask[i] === 1);
    expect(tokenizer.decode(masked)).toBe(' green.#');
    expect(() => tokenizePreference({ prompt: 'The sky is', chosen: ' blue.', rejected: ' green.' }, { tokenizer, maxLength: 12 })).toThrow(/more than maxLength 12/);
  });

  it('chat template: the completion is the rendering of the assistant turn after the generation prompt', () => {
    const prompt = [user('What color is the sky?')];
    const chosen = [assistant('It is blue.')];
    const rejected = [assistant('It is green.')];
    const full = applyChatTemplate([...prompt, ...chosen], { builtin: 'chatml' });
    const promptText = applyChatTemplate(prompt, { builtin: 'chatml', addGenerationPrompt: true });
    const tokenizer = CharTokenizer.fromText(full + applyChatTemplate([...prompt, ...rejected], { builtin: 'chatml' }));
    const pair = tokenizePreference({ prompt, chosen, rejected }, { tokenizer, chatTemplate: { builtin: 'chatml' } });
    expect(tokenizer.decode(pair.chosen.inputIds)).toBe(full);
    const completion = tokenizer.decode(pair.chosen.inputIds.filter((_, i) => pair.chosen.completionMask[i] === 1));
    expect(completion).toBe(full.slice(promptText.length));
    expect(completion.startsWith('It is blue.')).toBe(true);
    // without a template, conversational data is joined as plain "role: content" lines
    const plain = tokenizePreference({ prompt, chosen, rejected }, { tokenizer: CharTokenizer.fromText('user: What color is the sky?\nassistant: It blue.gren') });
    expect(plain.chosen.promptLength).toBe('user: What color is the sky?\n'.length);
    const kto = tokenizeKto({ prompt, completion: chosen, label: true }, { tokenizer, chatTemplate: { builtin: 'chatml' } });
    expect(tokenizer.decode(kto.completionIds)).toBe(full.slice(promptText.length));
  });
});
