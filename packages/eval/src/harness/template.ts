/**
 * A tiny `{{field}}` template language for task prompts: `{{ question }}`, nested paths
 * `{{ meta.source }}`, array indices `{{ choices.0 }}` or `{{ choices[0] }}`. A template that is
 * exactly one placeholder returns the raw value (so `"{{choices}}"` yields the array and
 * `"{{label}}"` the number); otherwise values are stringified into the text (arrays joined by ", ").
 */
import { EvalError } from '../errors.js';

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const SINGLE = /^\{\{\s*([^{}]*?)\s*\}\}$/;

function lookup(doc: unknown, path: string, where: string): unknown {
  const parts = path.replace(/\[(\d+)\]/g, '.$1').split('.').filter((p) => p !== '');
  if (parts.length === 0) throw new EvalError('eval_template', `${where}: empty placeholder "{{}}"; name a field, e.g. {{question}}.`);
  let value: unknown = doc;
  for (const part of parts) {
    if (value === null || typeof value !== 'object' || !(part in (value as Record<string, unknown>))) {
      const fields = doc && typeof doc === 'object' ? Object.keys(doc as object).join(', ') : '(not an object)';
      throw new EvalError('eval_template', `${where}: the document has no field "${path}"; its fields are: ${fields}.`);
    }
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function stringify(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(stringify).join(', ');
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * Render `template` against `doc`.
 * @throws EvalError `eval_template` naming the missing field and the document's fields.
 * @example
 * renderTemplate('Q: {{question}}\nA:', { question: 'Who is Ahab?' }); // 'Q: Who is Ahab?\nA:'
 */
export function renderTemplate(template: string, doc: unknown, where = 'template'): unknown {
  const single = SINGLE.exec(template);
  if (single) return lookup(doc, single[1]!, where);
  return template.replace(PLACEHOLDER, (_, path: string) => stringify(lookup(doc, path, where)));
}

/** {@link renderTemplate}, always as text. */
export function renderText(template: string, doc: unknown, where = 'template'): string {
  return stringify(renderTemplate(template, doc, where));
}
