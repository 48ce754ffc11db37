/**
 * The Porter stemmer as NLTK's `nltk.stem.porter.PorterStemmer` implements it (nltk 3.9-3.10), with its
 * three modes; the default `NLTK_EXTENSIONS` is what Google's rouge-score uses for
 * `use_stemmer=True`. Ported rule for rule, including NLTK's irregular-form pool, its
 * `ies`/`ied` handling for four-letter words, the `alli`/`fulli`/`logi` step-2 additions and the
 * two-letter cvc rule.
 */
import { EvalError } from '../errors.js';

/** Porter stemmer variants, named as NLTK's `PorterStemmer` modes. */
export type PorterMode = 'NLTK_EXTENSIONS' | 'MARTIN_EXTENSIONS' | 'ORIGINAL_ALGORITHM';

const IRREGULAR_FORMS: Readonly<Record<string, readonly string[]>> = {
  sky: ['sky', 'skies'],
  die: ['dying'],
  lie: ['lying'],
  tie: ['tying'],
  news: ['news'],
  inning: ['innings', 'inning'],
  outing: ['outings', 'outing'],
  canning: ['cannings', 'canning'],
  howe: ['howe'],
  proceed: ['proceed'],
  exceed: ['exceed'],
  succeed: ['succeed'],
};

const POOL = new Map<string, string>();
for (const [key, forms] of Object.entries(IRREGULAR_FORMS)) for (const f of forms) POOL.set(f, key);

const VOWELS = new Set(['a', 'e', 'i', 'o', 'u']);

type Condition = ((stem: string) => boolean) | null;
type Rule = readonly [suffix: string, replacement: string, condition: Condition];

/**
 * A Porter stemmer in one of NLTK's modes.
 *
 * @example
 * new PorterStemmer().stem('generalizations') // 'gener'
 */
export class PorterStemmer {
  readonly mode: PorterMode;

  constructor(mode: PorterMode = 'NLTK_EXTENSIONS') {
    if (mode !== 'NLTK_EXTENSIONS' && mode !== 'MARTIN_EXTENSIONS' && mode !== 'ORIGINAL_ALGORITHM') {
      throw new EvalError(
        'eval_invalid_option',
        `PorterStemmer mode must be 'NLTK_EXTENSIONS', 'MARTIN_EXTENSIONS' or 'ORIGINAL_ALGORITHM', got ${JSON.stringify(mode)}.`,
      );
    }
    this.mode = mode;
  }

  private isConsonant(word: string, i: number): boolean {
    if (VOWELS.has(word[i]!)) return false;
    if (word[i] === 'y') {
      let negate = false;
      while (i > 0 && word[i] === 'y') {
        negate = !negate;
        i -= 1;
      }
      return !VOWELS.has(word[i]!) !== negate;
    }
    return true;
  }

  private consonantFlags(word: string): boolean[] {
    const flags: boolean[] = [];
    for (let i = 0; i < word.length; i++) {
      const ch = word[i]!;
      if (VOWELS.has(ch)) flags.push(false);
      else if (ch === 'y') flags.push(i === 0 ? true : !flags[i - 1]);
      else flags.push(true);
    }
    return flags;
  }

  /** m in the Porter paper: the number of vowel-consonant sequences. */
  private measure(stem: string): number {
    const flags = this.consonantFlags(stem);
    let m = 0;
    for (let i = 1; i < flags.length; i++) if (!flags[i - 1] && flags[i]) m++;
    return m;
  }

  private hasPositiveMeasure = (stem: string): boolean => this.measure(stem) > 0;

  private containsVowel(stem: string): boolean {
    return this.consonantFlags(stem).some((c) => !c);
  }

  private endsDoubleConsonant(word: string): boolean {
    return word.length >= 2 && word[word.length - 1] === word[word.length - 2] && this.isConsonant(word, word.length - 1);
  }

  private endsCvc(word: string): boolean {
    const n = word.length;
    return (
      (n >= 3 &&
        this.isConsonant(word, n - 3) &&
        !this.isConsonant(word, n - 2) &&
        this.isConsonant(word, n - 1) &&
        !['w', 'x', 'y'].includes(word[n - 1]!)) ||
      (this.mode === 'NLTK_EXTENSIONS' && n === 2 && !this.isConsonant(word, 0) && this.isConsonant(word, 1))
    );
  }

  private static replaceSuffix(word: string, suffix: string, replacement: string): string {
    return suffix === '' ? word + replacement : word.slice(0, word.length - suffix.length) + replacement;
  }

  private applyRuleList(word: string, rules: readonly Rule[]): string {
    for (const [suffix, replacement, condition] of rules) {
      if (suffix === '*d' && this.endsDoubleConsonant(word)) {
        const stem = word.slice(0, -2);
        return condition === null || condition(stem) ? stem + replacement : word;
      }
      if (word.endsWith(suffix)) {
        const stem = PorterStemmer.replaceSuffix(word, suffix, '');
        return condition === null || condition(stem) ? stem + replacement : word;
      }
    }
    return word;
  }

  private step1a(word: string): string {
    if (this.mode === 'NLTK_EXTENSIONS' && word.endsWith('ies') && word.length === 4) {
      return PorterStemmer.replaceSuffix(word, 'ies', 'ie');
    }
    return this.applyRuleList(word, [
      ['sses', 'ss', null],
      ['ies', 'i', null],
      ['ss', 'ss', null],
      ['s', '', null],
    ]);
  }

  private step1b(word: string): string {
    if (this.mode === 'NLTK_EXTENSIONS' && word.endsWith('ied')) {
      return PorterStemmer.replaceSuffix(word, 'ied', word.length === 4 ? 'ie' : 'i');
    }
    if (word.endsWith('eed')) {
      const stem = PorterStemmer.replaceSuffix(word, 'eed', '');
      return this.measure(stem) > 0 ? stem + 'ee' : word;
    }
    let intermediate: string | null = null;
    for (const suffix of ['ed', 'ing']) {
      if (word.endsWith(suffix)) {
        const candidate = PorterStemmer.replaceSuffix(word, suffix, '');
        if (this.containsVowel(candidate)) {
          intermediate = candidate;
          break;
        }
      }
    }
    if (intermediate === null) return word;
    const last = intermediate[intermediate.length - 1]!;
    return this.applyRuleList(intermediate, [
      ['at', 'ate', null],
      ['bl', 'ble', null],
      ['iz', 'ize', null],
      ['*d', last, () => !['l', 's', 'z'].includes(last)],
      ['', 'e', (stem) => this.measure(stem) === 1 && this.endsCvc(stem)],
    ]);
  }

  private step1c(word: string): string {
    const condition: Condition =
      this.mode === 'NLTK_EXTENSIONS'
        ? (stem) => stem.length > 1 && this.isConsonant(stem, stem.length - 1)
        : (stem) => this.containsVowel(stem);
    return this.applyRuleList(word, [['y', 'i', condition]]);
  }

  private step2(word: string): string {
    const pos = this.hasPositiveMeasure;
    if (this.mode === 'NLTK_EXTENSIONS' && word.endsWith('alli') && pos(PorterStemmer.replaceSuffix(word, 'alli', ''))) {
      return this.step2(PorterStemmer.replaceSuffix(word, 'alli', 'al'));
    }
    const rules: Rule[] = [
      ['ational', 'ate', pos],
      ['tional', 'tion', pos],
      ['enci', 'ence', pos],
      ['anci', 'ance', pos],
      ['izer', 'ize', pos],
      this.mode === 'ORIGINAL_ALGORITHM' ? ['abli', 'able', pos] : ['bli', 'ble', pos],
      ['alli', 'al', pos],
      ['entli', 'ent', pos],
      ['eli', 'e', pos],
      ['ousli', 'ous', pos],
      ['ization', 'ize', pos],
      ['ation', 'ate', pos],
      ['ator', 'ate', pos],
      ['alism', 'al', pos],
      ['iveness', 'ive', pos],
      ['fulness', 'ful', pos],
      ['ousness', 'ous', pos],
      ['aliti', 'al', pos],
      ['iviti', 'ive', pos],
      ['biliti', 'ble', pos],
    ];
    if (this.mode === 'NLTK_EXTENSIONS') {
      rules.push(['fulli', 'ful', pos]);
      rules.push(['logi', 'log', () => pos(word.slice(0, -3))]);
    }
    if (this.mode === 'MARTIN_EXTENSIONS') rules.push(['logi', 'log', pos]);
    return this.applyRuleList(word, rules);
  }

  private step3(word: string): string {
    const pos = this.hasPositiveMeasure;
    return this.applyRuleList(word, [
      ['icate', 'ic', pos],
      ['ative', '', pos],
      ['alize', 'al', pos],
      ['iciti', 'ic', pos],
      ['ical', 'ic', pos],
      ['ful', '', pos],
      ['ness', '', pos],
    ]);
  }

  private step4(word: string): string {
    const gt1 = (stem: string): boolean => this.measure(stem) > 1;
    return this.applyRuleList(word, [
      ['al', '', gt1],
      ['ance', '', gt1],
      ['ence', '', gt1],
      ['er', '', gt1],
      ['ic', '', gt1],
      ['able', '', gt1],
      ['ible', '', gt1],
      ['ant', '', gt1],
      ['ement', '', gt1],
      ['ment', '', gt1],
      ['ent', '', gt1],
      ['ion', '', (stem) => this.measure(stem) > 1 && (stem.endsWith('s') || stem.endsWith('t'))],
      ['ou', '', gt1],
      ['ism', '', gt1],
      ['ate', '', gt1],
      ['iti', '', gt1],
      ['ous', '', gt1],
      ['ive', '', gt1],
      ['ize', '', gt1],
    ]);
  }

  private step5a(word: string): string {
    if (word.endsWith('e')) {
      const stem = PorterStemmer.replaceSuffix(word, 'e', '');
      const m = this.measure(stem);
      if (m > 1) return stem;
      if (m === 1 && !this.endsCvc(stem)) return stem;
    }
    return word;
  }

  private step5b(word: string): string {
    return this.applyRuleList(word, [['ll', 'l', () => this.measure(word.slice(0, -1)) > 1]]);
  }

  /**
   * Stem one word (lowercased first unless `toLowercase` is false), as NLTK's `stem(word)`.
   * @example
   * new PorterStemmer().stem('running') // 'run'
   */
  stem(word: string, toLowercase = true): string {
    let stem = toLowercase ? word.toLowerCase() : word;
    if (this.mode === 'NLTK_EXTENSIONS') {
      const irregular = POOL.get(stem);
      if (irregular !== undefined) return irregular;
    }
    if (this.mode !== 'ORIGINAL_ALGORITHM' && word.length <= 2) return stem;
    stem = this.step1a(stem);
    stem = this.step1b(stem);
    stem = this.step1c(stem);
    stem = this.step2(stem);
    stem = this.step3(stem);
    stem = this.step4(stem);
    stem = this.step5a(stem);
    stem = this.step5b(stem);
    return stem;
  }
}

const DEFAULT_STEMMER = new PorterStemmer();

/**
 * Porter stem of one word in NLTK's default `NLTK_EXTENSIONS` mode (what rouge-score uses).
 *
 * @example
 * porterStem('generously') // 'gener'
 * porterStem('dying') // 'die'
 */
export function porterStem(word: string, mode: PorterMode = 'NLTK_EXTENSIONS'): string {
  if (typeof word !== 'string') {
    throw new EvalError('eval_invalid_option', `porterStem: word must be a string, got ${typeof word}.`);
  }
  return mode === 'NLTK_EXTENSIONS' ? DEFAULT_STEMMER.stem(word) : new PorterStemmer(mode).stem(word);
}
