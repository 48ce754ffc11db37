/** Decoders, keyed by `type`: each maps the token strings to new strings (HF's decode_chain). */
import { CHAR_TO_BYTE } from '../byte-level.js';
import { ComponentRegistry, asArray, asString, formatError, optBoolean, optNumber, optString, type JsonObject } from '../json.js';
import { compilePattern } from '../regex.js';

export interface Decoder {
  decodeChain(tokens: string[]): string[];
}

export const decoders = new ComponentRegistry<Decoder>('decoder');
const lossy = new TextDecoder('utf-8', { fatal: false });
const strict = new TextDecoder('utf-8', { fatal: true });

decoders.register('ByteLevel', () => ({
  decodeChain(tokens) {
    const bytes: number[] = [];
    for (const t of tokens) {
      const start = bytes.length;
      let ok = true;
      for (let i = 0; i < t.length; i++) {
        const b = CHAR_TO_BYTE.get(t.charCodeAt(i));
        if (b === undefined) {
          ok = false;
          break;
        }
        bytes.push(b);
      }
      if (!ok) {
        bytes.length = start;
        for (const b of new TextEncoder().encode(t)) bytes.push(b);
      }
    }
    return [lossy.decode(Uint8Array.from(bytes))];
  },
}));

decoders.register('Metaspace', (json, path) => {
  const replacement = asString(json.replacement ?? '▁', `${path}.replacement`);
  let scheme = optString(json, 'prepend_scheme', path, null);
  if (scheme === null) scheme = optBoolean(json, 'add_prefix_space', path, true) ? 'always' : 'never';
  return {
    decodeChain(tokens) {
      return tokens.map((t, i) => (i === 0 && scheme !== 'never' ? t.split(replacement).join('') : t.split(replacement).join(' ')));
    },
  };
});

function cleanup(s: string): string {
  return s
    .replaceAll(' .', '.')
    .replaceAll(' ?', '?')
    .replaceAll(' !', '!')
    .replaceAll(' ,', ',')
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(' do not', " don't")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}

decoders.register('WordPiece', (json, path) => {
  const prefix = optString(json, 'prefix', path, '##')!;
  const doCleanup = optBoolean(json, 'cleanup', path, true);
  return {
    decodeChain(tokens) {
      return tokens.map((t, i) => {
        let s = t;
        if (i !== 0) s = s.startsWith(prefix) ? s.replace(prefix, '') : ` ${s}`;
        return doCleanup ? cleanup(s) : s;
      });
    },
  };
});

decoders.register('BPEDecoder', (json, path) => {
  const suffix = optString(json, 'suffix', path, '</w>')!;
  return { decodeChain: (tokens) => tokens.map((t, i) => t.replaceAll(suffix, i === tokens.length - 1 ? '' : ' ')) };
});

const BYTE_TOKEN = /^<0x([0-9A-F]{2})>$/;
decoders.register('ByteFallback', () => ({
  decodeChain(tokens) {
    const out: string[] = [];
    let pending: number[] = [];
    const flush = () => {
      if (pending.length === 0) return;
      try {
        out.push(strict.decode(Uint8Array.from(pending)));
      } catch {
        for (let k = 0; k < pending.length; k++) out.push('\uFFFD');
      }
      pending = [];
    };
    for (const t of tokens) {
      const m = t.length === 6 ? BYTE_TOKEN.exec(t) : null;
      if (m) pending.push(parseInt(m[1]!, 16));
      else {
        flush();
        out.push(t);
      }
    }
    flush();
    return out;
  },
}));

decoders.register('Fuse', () => ({ decodeChain: (tokens) => [tokens.join('')] }));

decoders.register('Strip', (json, path) => {
  const content = asString(json.content, `${path}.content`);
  const start = optNumber(json, 'start', path, 0);
  const stop = optNumber(json, 'stop', path, 0);
  return {
    decodeChain(tokens) {
      return tokens.map((t) => {
        const chars = [...t];
        let a = 0;
        while (a < start && a < chars.length && chars[a] === content) a++;
        let b = chars.length;
        let k = 0;
        while (k < stop && b > a && chars[b - 1] === content) {
          b--;
          k++;
        }
        return chars.slice(a, b).join('');
      });
    },
  };
});

decoders.register('Replace', (json, path) => {
  const regex = compilePattern(json.pattern, `${path}.pattern`);
  const content = asString(json.content, `${path}.content`);
  return { decodeChain: (tokens) => tokens.map((t) => t.replace(regex, () => content)) };
});

decoders.register('Sequence', (json: JsonObject, path) => {
  const list = asArray(json.decoders, `${path}.decoders`).map((d, i) => decoders.build(d, `${path}.decoders[${i}]`));
  if (list.length === 0 && !Array.isArray(json.decoders)) formatError(`${path}.decoders`, 'expected an array');
  return {
    decodeChain(tokens) {
      let out = tokens;
      for (const d of list) out = d.decodeChain(out);
      return out;
    },
  };
});
