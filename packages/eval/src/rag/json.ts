/** Robust JSON parsing of LLM outputs: code fences, prose around the JSON, trailing commas, single quotes. */

function balancedSlice(text: string, start: number): string | undefined {
  const open = text[start]!;
  const close = open === '{' ? '}' : ']';
  let depth = 0;
  let inString: string | undefined;
  for (let i = start; i < text.length; i++) {
    const ch = text[i]!;
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === inString) inString = undefined;
      continue;
    }
    if (ch === '"') inString = ch;
    else if (ch === open) depth++;
    else if (ch === close && --depth === 0) return text.slice(start, i + 1);
  }
  return undefined;
}

function tryParse(candidate: string): unknown {
  const attempts = [
    candidate,
    candidate.replace(/,\s*([}\]])/g, '$1'),
    candidate.replace(/,\s*([}\]])/g, '$1').replace(/'([^'\\]*)'/g, '"$1"'),
  ];
  for (const a of attempts) {
    try {
      return JSON.parse(a);
    } catch {
      // next repair
    }
  }
  return undefined;
}

/**
 * The first JSON object or array in `text` (inside ``` fences or surrounded by prose), or undefined.
 * @example
 * parseJsonLoose('Sure!\n```json\n{"verdict": 1,}\n```'); // { verdict: 1 }
 */
export function parseJsonLoose(text: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(text);
  const sources = fenced ? [fenced[1]!, text] : [text];
  for (const source of sources) {
    const whole = tryParse(source.trim());
    if (whole !== undefined && typeof whole === 'object') return whole;
    for (let i = 0; i < source.length; i++) {
      if (source[i] !== '{' && source[i] !== '[') continue;
      const slice = balancedSlice(source, i);
      if (!slice) continue;
      const value = tryParse(slice);
      if (value !== undefined) return value;
    }
  }
  return undefined;
}
