/** Post-processors (special tokens around the sequence, offset trimming), keyed by `type`. */
import { ComponentRegistry, asArray, asId, asObject, asString, formatError, optBoolean, type JsonObject } from '../json.js';

/** The in-progress encoding. `offsets` is null when offsets are not tracked. */
export interface WorkingEncoding {
  ids: number[];
  tokens: string[] | null;
  offsets: Array<[number, number]> | null;
  special: number[];
}

export interface PostProcessor {
  process(enc: WorkingEncoding, addSpecialTokens: boolean, tokenOf: (id: number) => string): WorkingEncoding;
  /** Number of tokens added for one sequence when addSpecialTokens is true. */
  readonly added: number;
}

export const postProcessors = new ComponentRegistry<PostProcessor>('post_processor');

function wrap(prefix: Array<{ ids: number[]; tokens: string[] }>, suffix: Array<{ ids: number[]; tokens: string[] }>): PostProcessor {
  const count = (list: Array<{ ids: number[] }>) => list.reduce((n, x) => n + x.ids.length, 0);
  return {
    added: count(prefix) + count(suffix),
    process(enc, add) {
      if (!add) return enc;
      const out: WorkingEncoding = { ids: [], tokens: enc.tokens ? [] : null, offsets: enc.offsets ? [] : null, special: [] };
      const pushSpecial = (s: { ids: number[]; tokens: string[] }) => {
        for (let k = 0; k < s.ids.length; k++) {
          out.ids.push(s.ids[k]!);
          out.tokens?.push(s.tokens[k] ?? '');
          out.offsets?.push([0, 0]);
          out.special.push(1);
        }
      };
      for (const s of prefix) pushSpecial(s);
      for (let k = 0; k < enc.ids.length; k++) {
        out.ids.push(enc.ids[k]!);
        out.tokens?.push(enc.tokens![k]!);
        out.offsets?.push(enc.offsets![k]!);
        out.special.push(enc.special[k]!);
      }
      for (const s of suffix) pushSpecial(s);
      return out;
    },
  };
}

postProcessors.register('TemplateProcessing', (json, path) => {
  const special = asObject(json.special_tokens ?? {}, `${path}.special_tokens`);
  const specials = new Map<string, { ids: number[]; tokens: string[] }>();
  for (const key of Object.keys(special)) {
    const p = `${path}.special_tokens[${JSON.stringify(key)}]`;
    const s = asObject(special[key], p);
    const ids = asArray(s.ids, `${p}.ids`).map((x, i) => asId(x, `${p}.ids[${i}]`));
    const tokens = asArray(s.tokens, `${p}.tokens`).map((x, i) => asString(x, `${p}.tokens[${i}]`));
    if (ids.length !== tokens.length) formatError(p, 'ids and tokens differ in length');
    specials.set(asString(s.id ?? key, `${p}.id`), { ids, tokens });
  }
  const single = asArray(json.single, `${path}.single`);
  const prefix: Array<{ ids: number[]; tokens: string[] }> = [];
  const suffix: Array<{ ids: number[]; tokens: string[] }> = [];
  let seenSequence = false;
  single.forEach((piece, i) => {
    const p = `${path}.single[${i}]`;
    const o = asObject(piece, p);
    if (o.SpecialToken !== undefined) {
      const id = asString(asObject(o.SpecialToken, `${p}.SpecialToken`).id, `${p}.SpecialToken.id`);
      const s = specials.get(id);
      if (!s) formatError(`${p}.SpecialToken.id`, `special token ${JSON.stringify(id)} is not in special_tokens`);
      (seenSequence ? suffix : prefix).push(s);
    } else if (o.Sequence !== undefined) {
      const id = asString(asObject(o.Sequence, `${p}.Sequence`).id, `${p}.Sequence.id`);
      if (id !== 'A') formatError(`${p}.Sequence.id`, 'single template may only use sequence A');
      if (seenSequence) formatError(p, 'sequence A appears twice');
      seenSequence = true;
    } else formatError(p, 'expected {"SpecialToken": ...} or {"Sequence": ...}');
  });
  if (!seenSequence) formatError(`${path}.single`, 'template has no sequence A');
  return wrap(prefix, suffix);
});

function pairOf(value: unknown, path: string): { ids: number[]; tokens: string[] } {
  const a = asArray(value, path);
  return { tokens: [asString(a[0], `${path}[0]`)], ids: [asId(a[1], `${path}[1]`)] };
}

postProcessors.register('BertProcessing', (json, path) => wrap([pairOf(json.cls, `${path}.cls`)], [pairOf(json.sep, `${path}.sep`)]));

const SPACE_CHAR = 'Ġ';
const isWs = /^\p{White_Space}$/u;
function trimOffsets(enc: WorkingEncoding, addPrefixSpace: boolean, tokenOf: (id: number) => string): void {
  if (!enc.offsets) return;
  for (let i = 0; i < enc.ids.length; i++) {
    if (enc.special[i]) continue;
    const token = enc.tokens?.[i] ?? tokenOf(enc.ids[i]!);
    const chars = [...token];
    let lead = 0;
    while (lead < chars.length && (chars[lead] === SPACE_CHAR || isWs.test(chars[lead]!))) lead++;
    let trail = 0;
    while (trail < chars.length && (chars[chars.length - 1 - trail] === SPACE_CHAR || isWs.test(chars[chars.length - 1 - trail]!))) trail++;
    const off = enc.offsets[i]!;
    let [s, e] = off;
    if (lead > 0) {
      const isFirst = i === 0 || s === 0;
      if (isFirst && addPrefixSpace && lead === 1) lead = 0;
      s = Math.min(s + lead, e);
    }
    if (trail > 0 && e >= trail) e = Math.max(e - trail, s);
    enc.offsets[i] = [s, e];
  }
}

postProcessors.register('ByteLevel', (json, path) => {
  const trim = optBoolean(json, 'trim_offsets', path, true);
  const addPrefixSpace = optBoolean(json, 'add_prefix_space', path, true);
  return {
    added: 0,
    process(enc, _add, tokenOf) {
      if (trim) trimOffsets(enc, addPrefixSpace, tokenOf);
      return enc;
    },
  };
});

postProcessors.register('RobertaProcessing', (json, path) => {
  const inner = wrap([pairOf(json.cls, `${path}.cls`)], [pairOf(json.sep, `${path}.sep`)]);
  const trim = optBoolean(json, 'trim_offsets', path, true);
  const addPrefixSpace = optBoolean(json, 'add_prefix_space', path, true);
  return {
    added: inner.added,
    process(enc, add, tokenOf) {
      if (trim) trimOffsets(enc, addPrefixSpace, tokenOf);
      return inner.process(enc, add, tokenOf);
    },
  };
});

postProcessors.register('Sequence', (json: JsonObject, path) => {
  const list = asArray(json.processors, `${path}.processors`).map((p, i) => postProcessors.build(p, `${path}.processors[${i}]`));
  return {
    added: list.reduce((n, p) => n + p.added, 0),
    process(enc, add, tokenOf) {
      let out = enc;
      for (const p of list) out = p.process(out, add, tokenOf);
      return out;
    },
  };
});
