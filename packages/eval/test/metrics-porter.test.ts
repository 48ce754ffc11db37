/**
 * Porter stemmer parity with nltk's PorterStemmer on the whole State of the Union vocabulary
 * (fixture from tools/fixtures/gen_porter.py): NLTK_EXTENSIONS mode (what rouge-score uses) on
 * every word, MARTIN_EXTENSIONS and ORIGINAL_ALGORITHM on a seeded sample plus classic test words.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EvalError, porterStem, PorterStemmer, type PorterMode } from '../src/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const fx: any = JSON.parse(readFileSync(new URL('./fixtures/porter-sotu.json', import.meta.url), 'utf8'));

describe('PorterStemmer matches nltk on the SOTU vocabulary', () => {
  for (const mode of ['NLTK_EXTENSIONS', 'MARTIN_EXTENSIONS', 'ORIGINAL_ALGORITHM'] as PorterMode[]) {
    it(`${mode} (nltk ${fx.versions.nltk})`, () => {
      const words: string[] = fx[mode].words.split(' ');
      const stems: string[] = fx[mode].stems.split(' ');
      expect(stems.length).toBe(words.length);
      const stemmer = new PorterStemmer(mode);
      const wrong: string[] = [];
      words.forEach((w, i) => {
        const s = stemmer.stem(w);
        if (s !== stems[i]) wrong.push(`${w}: ${s} != ${stems[i]}`);
      });
      expect(wrong.slice(0, 20)).toEqual([]);
      expect(words.length).toBeGreaterThan(mode === 'NLTK_EXTENSIONS' ? 20000 : 4000);
    });
  }

  it('porterStem lowercases first and rejects bad input', () => {
    // nltk: stem('Running') lowercases to 'running' -> 'run'; 'DYING' -> pool -> 'die'.
    expect(porterStem('Running')).toBe('run');
    expect(porterStem('DYING')).toBe('die');
    expect(() => porterStem(42 as unknown as string)).toThrow(EvalError);
    expect(() => new PorterStemmer('SNOWBALL' as PorterMode)).toThrow(/NLTK_EXTENSIONS/);
  });
});
