/**
 * The Snowball English stemmer ("Porter2", Martin Porter 2002), written from the published
 * algorithm (snowballstem.org/algorithms/english/stemmer.html). R1 and R2 are tracked as the
 * lengths of the word's tail they cover, updated the way NLTK's `SnowballStemmer("english")`
 * updates its region strings (which differs from the reference in rare words, e.g. after a
 * Step 2 replacement whose suffix R2 started inside), so the same corpus gives the same index
 * terms as bm25s + NLTK. Tested word for word against NLTK on 31k words
 * (fixture from tools/fixtures/gen_rag_stemmer.py).
 */

const VOWELS = new Set(['a', 'e', 'i', 'o', 'u', 'y']);
const isVowel = (c: string | undefined): boolean => c !== undefined && VOWELS.has(c);
const DOUBLES = new Set(['bb', 'dd', 'ff', 'gg', 'mm', 'nn', 'pp', 'rr', 'tt']);
const LI_ENDING = new Set(['c', 'd', 'e', 'g', 'h', 'k', 'm', 'n', 'r', 't']);

/** Whole-word exceptions (Snowball's exception1 and exception2 lists, as NLTK applies them). */
const SPECIAL_WORDS = new Map<string, string>(Object.entries({
  skis: 'ski', skies: 'sky', dying: 'die', lying: 'lie', tying: 'tie', idly: 'idl', gently: 'gentl',
  ugly: 'ugli', early: 'earli', only: 'onli', singly: 'singl', sky: 'sky', news: 'news', howe: 'howe',
  atlas: 'atlas', cosmos: 'cosmos', bias: 'bias', andes: 'andes',
  inning: 'inning', innings: 'inning', outing: 'outing', outings: 'outing', canning: 'canning',
  cannings: 'canning', herring: 'herring', herrings: 'herring', earring: 'earring', earrings: 'earring',
  proceed: 'proceed', proceeds: 'proceed', proceeded: 'proceed', proceeding: 'proceed',
  exceed: 'exceed', exceeds: 'exceed', exceeded: 'exceed', exceeding: 'exceed',
  succeed: 'succeed', succeeds: 'succeed', succeeded: 'succeed', succeeding: 'succeed',
}));

const STEP1B = ['eedly', 'ingly', 'edly', 'eed', 'ing', 'ed'];
const STEP2 = [
  'ization', 'ational', 'fulness', 'ousness', 'iveness', 'tional', 'biliti', 'lessli', 'entli', 'ation', 'alism',
  'aliti', 'ousli', 'iviti', 'fulli', 'enci', 'anci', 'abli', 'izer', 'ator', 'alli', 'bli', 'ogi', 'li',
];
const STEP2_REPLACE: Record<string, string> = {
  tional: 'tion', enci: 'ence', anci: 'ance', abli: 'able', entli: 'ent', izer: 'ize', ization: 'ize',
  ational: 'ate', ation: 'ate', ator: 'ate', alism: 'al', aliti: 'al', alli: 'al', fulness: 'ful',
  ousli: 'ous', ousness: 'ous', iveness: 'ive', iviti: 'ive', biliti: 'ble', bli: 'ble', fulli: 'ful',
  lessli: 'less',
};
const STEP3 = ['ational', 'tional', 'alize', 'icate', 'iciti', 'ative', 'ical', 'ness', 'ful'];
const STEP3_REPLACE: Record<string, string> = {
  tional: 'tion', ational: 'ate', alize: 'al', icate: 'ic', iciti: 'ic', ical: 'ic', ness: '', ful: '',
};
const STEP4 = [
  'ement', 'ance', 'ence', 'able', 'ible', 'ment', 'ant', 'ent', 'ism', 'ate', 'iti', 'ous', 'ive', 'ize', 'ion',
  'al', 'er', 'ic',
];

function longestSuffix(word: string, suffixes: readonly string[]): string | undefined {
  // Lists are ordered longest first, so the first hit is the longest (Snowball `among`).
  for (const s of suffixes) if (word.endsWith(s)) return s;
  return undefined;
}

/** Start of the region after the first non-vowel that follows a vowel, searching from `from`. */
function regionStart(word: string, from: number): number {
  for (let i = from + 1; i < word.length; i++) {
    if (!isVowel(word[i]) && isVowel(word[i - 1])) return i + 1;
  }
  return word.length;
}

/** Ends with a short syllable: non-vowel, vowel, non-vowel other than w/x/Y; or a two-letter vowel + non-vowel word. */
function endsWithShortSyllable(word: string): boolean {
  const n = word.length;
  if (n >= 3) {
    const a = word[n - 3];
    const b = word[n - 2];
    const c = word[n - 1]!;
    if (!isVowel(a) && isVowel(b) && !isVowel(c) && c !== 'w' && c !== 'x' && c !== 'Y') return true;
  }
  return n === 2 && isVowel(word[0]) && !isVowel(word[1]);
}

function hasVowel(s: string): boolean {
  for (const c of s) if (isVowel(c)) return true;
  return false;
}

/**
 * Stem one English word with the Snowball English (Porter2) algorithm. Input is lowercased;
 * words of one or two letters come back unchanged.
 * @example
 * snowballEnglishStem('generously'); // 'generous'
 * snowballEnglishStem('running');    // 'run'
 */
export function snowballEnglishStem(input: string): string {
  let word = input.toLowerCase();
  if (word.length <= 2) return word;
  const special = SPECIAL_WORDS.get(word);
  if (special !== undefined) return special;
  word = word.replace(/[\u2019\u2018\u201b]/g, "'");
  if (word.startsWith("'")) word = word.slice(1);
  // Prelude: initial y, and y after a vowel, become Y (a consonant).
  if (word.startsWith('y')) word = 'Y' + word.slice(1);
  for (let i = 1; i < word.length; i++) {
    if (word[i] === 'y' && isVowel(word[i - 1])) word = word.slice(0, i) + 'Y' + word.slice(i + 1);
  }

  // Regions as the number of trailing characters they cover.
  let p1: number;
  if (word.startsWith('gener') || word.startsWith('arsen')) p1 = Math.min(5, word.length);
  else if (word.startsWith('commun')) p1 = 6;
  else p1 = regionStart(word, 0);
  const p2 = regionStart(word, p1);
  let r1 = word.length - p1;
  let r2 = word.length - p2;

  const cut = (n: number): void => {
    word = word.slice(0, word.length - n);
    r1 = Math.max(0, r1 - n);
    r2 = Math.max(0, r2 - n);
  };
  /** Replace `suffix` (known to end the word and R1) by `replacement`; R2 falls back to `r2Fallback` characters when it started inside the suffix. */
  const replace = (suffix: string, replacement: string, r2Fallback = 0): void => {
    word = word.slice(0, word.length - suffix.length) + replacement;
    r1 = r1 >= suffix.length ? r1 - suffix.length + replacement.length : 0;
    r2 = r2 >= suffix.length ? r2 - suffix.length + replacement.length : r2Fallback;
  };

  // Step 0
  for (const s of ["'s'", "'s", "'"]) {
    if (word.endsWith(s)) {
      cut(s.length);
      break;
    }
  }

  // Step 1a
  if (word.endsWith('sses')) cut(2);
  else if (word.endsWith('ied') || word.endsWith('ies')) cut(word.length - 3 > 1 ? 2 : 1);
  else if (word.endsWith('us') || word.endsWith('ss')) {
    // unchanged
  } else if (word.endsWith('s')) {
    if (hasVowel(word.slice(0, -2))) cut(1);
  }

  // Step 1b
  const s1b = longestSuffix(word, STEP1B);
  if (s1b === 'eed' || s1b === 'eedly') {
    if (r1 >= s1b.length) replace(s1b, 'ee');
  } else if (s1b !== undefined) {
    if (hasVowel(word.slice(0, -s1b.length))) {
      cut(s1b.length);
      if (word.endsWith('at') || word.endsWith('bl') || word.endsWith('iz')) {
        word += 'e';
        r1 += 1;
        if (word.length > 5 || r1 >= 3) r2 += 1;
      } else if (DOUBLES.has(word.slice(-2))) {
        cut(1);
      } else if (r1 === 0 && endsWithShortSyllable(word)) {
        word += 'e';
      }
    }
  }

  // Step 1c
  if (word.length > 2 && (word.endsWith('y') || word.endsWith('Y')) && !isVowel(word[word.length - 2])) {
    word = word.slice(0, -1) + 'i';
  }

  // Step 2
  const s2 = longestSuffix(word, STEP2);
  if (s2 !== undefined && r1 >= s2.length) {
    if (s2 === 'tional' || s2 === 'entli' || s2 === 'fulli' || s2 === 'lessli') cut(2);
    else if (s2 === 'fulness') cut(4);
    else if (s2 === 'enci' || s2 === 'anci' || s2 === 'abli') word = word.slice(0, -1) + 'e';
    else if (s2 === 'ogi') {
      if (word[word.length - 4] === 'l') cut(1);
    } else if (s2 === 'li') {
      if (LI_ENDING.has(word[word.length - 3]!)) cut(2);
    } else {
      const fallback = s2 === 'ational' || s2 === 'ation' || s2 === 'ator' || s2 === 'iveness' || s2 === 'iviti' ? 1 : 0;
      replace(s2, STEP2_REPLACE[s2]!, fallback);
    }
  }

  // Step 3
  const s3 = longestSuffix(word, STEP3);
  if (s3 !== undefined && r1 >= s3.length) {
    if (s3 === 'tional') cut(2);
    else if (s3 === 'alize') cut(3);
    else if (s3 === 'ful' || s3 === 'ness') cut(s3.length);
    else if (s3 === 'ative') {
      if (r2 >= 5) cut(5);
    } else replace(s3, STEP3_REPLACE[s3]!);
  }

  // Step 4
  const s4 = longestSuffix(word, STEP4);
  if (s4 !== undefined && r2 >= s4.length) {
    if (s4 === 'ion') {
      const before = word[word.length - 4];
      if (before === 's' || before === 't') cut(3);
    } else cut(s4.length);
  }

  // Step 5
  const n = word.length;
  if (r2 >= 1 && word.endsWith('l') && word[n - 2] === 'l') cut(1);
  else if (r2 >= 1 && word.endsWith('e')) cut(1);
  else if (r1 >= 1 && word.endsWith('e')) {
    // Delete unless the stem before the e ends in a short syllable.
    if (n >= 4 && (isVowel(word[n - 2]) || 'wxY'.includes(word[n - 2]!) || !isVowel(word[n - 3]) || isVowel(word[n - 4]))) cut(1);
  }

  return word.replace(/Y/g, 'y');
}
