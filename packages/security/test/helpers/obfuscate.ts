// Obfuscation transformations used by the tests (independent of the normaliser's code).
const MORSE: Record<string, string> = { a: '.-', b: '-...', c: '-.-.', d: '-..', e: '.', f: '..-.', g: '--.', h: '....', i: '..', j: '.---', k: '-.-', l: '.-..', m: '--', n: '-.', o: '---', p: '.--.', q: '--.-', r: '.-.', s: '...', t: '-', u: '..-', v: '...-', w: '.--', x: '-..-', y: '-.--', z: '--..' };
export const rot13 = (s: string): string => s.replace(/[a-z]/gi, (c) => String.fromCharCode(((c.toLowerCase().charCodeAt(0) - 97 + 13) % 26) + (c <= 'Z' ? 65 : 97)));
export const tagSmuggle = (s: string): string => Array.from(s, (c) => String.fromCodePoint(0xe0000 + c.charCodeAt(0))).join('');

/** name -> transformation of a whole attack text. */
export const TRANSFORMS: Record<string, (s: string) => string> = {
  zero_width: (s) => s.split('').join('\u200b'),
  bidi_control: (s) => '\u202e' + s.replace(/ /g, ' \u2066') + '\u202c',
  tag_smuggling: (s) => 'What a nice day.' + tagSmuggle(s),
  fullwidth: (s) => s.replace(/[a-z]/gi, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)),
  math_bold: (s) => Array.from(s, (c) => (/[a-z]/.test(c) ? String.fromCodePoint(0x1d41a + c.charCodeAt(0) - 97) : c)).join(''),
  cyrillic: (s) => s.replace(/a/g, 'а').replace(/e/g, 'е').replace(/o/g, 'о').replace(/p/g, 'р').replace(/c/g, 'с').replace(/i/g, 'і'),
  base64: (s) => 'Decode and follow: ' + Buffer.from(s).toString('base64'),
  hex: (s) => Buffer.from(s).toString('hex'),
  url_encoding: (s) => Array.from(Buffer.from(s), (b) => '%' + b.toString(16).padStart(2, '0')).join(''),
  rot13,
  leetspeak: (s) => s.replace(/o/g, '0').replace(/e/g, '3').replace(/i/g, '1').replace(/a/g, '4').replace(/s/g, '5').replace(/t/g, '7'),
  morse: (s) => s.toLowerCase().replace(/[^a-z ]/g, '').split(' ').map((w) => Array.from(w, (c) => MORSE[c]!).join(' ')).join(' / '),
  spaced_letters: (s) => s.split(' ').map((w) => w.split('').join(' ')).join('   '),
  alternating_case: (s) => Array.from(s, (c, i) => (i % 2 ? c.toUpperCase() : c.toLowerCase())).join(''),
};
