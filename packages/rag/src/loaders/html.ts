/**
 * HTML to a document: main-content extraction in the manner of Mozilla Readability (drop chrome
 * such as scripts, navigation, headers, footers, asides and elements whose class/id look like
 * sidebars, comments or ads; score paragraph containers by text length and commas, penalise link
 * density, take the best container plus its strong siblings), then plain text with block-level
 * line breaks, or Markdown through turndown.
 */
import { parse, NodeType, type HTMLElement, type Node } from 'node-html-parser';
import TurndownService from 'turndown';
import type { Document, Metadata } from '../types.js';
import { inputText, type LoaderCommonOptions, type LoaderInput } from './common.js';

export interface HtmlLoaderOptions extends LoaderCommonOptions {
  /** 'text' (default) or 'markdown'. */
  format?: 'text' | 'markdown';
  /** Extract the main content (default true) or convert the whole body (only scripts, styles and comments removed). */
  mainContent?: boolean;
}

const REMOVE_TAGS = new Set(['script', 'style', 'noscript', 'template', 'iframe', 'svg', 'canvas', 'form', 'button', 'input', 'select', 'textarea', 'nav', 'aside', 'footer', 'header', 'object', 'embed', 'link', 'meta']);
const UNLIKELY = /-ad-|\bads?\b|advert|banner|breadcrumb|combx|comment|community|cookie|disqus|extra|footer|gdpr|header|menu|modal|newsletter|pager|pagination|popup|promo|related|remark|rss|share|shoutbox|sidebar|skyscraper|social|sponsor|subscribe|tweet|twitter|widget/i;
const MAYBE = /and|article|body|column|content|main|shadow|post|entry|story|text/i;
const POSITIVE = /article|body|content|entry|hentry|h-entry|main|page|pagination|post|text|blog|story/i;
const NEGATIVE = /-ad-|hidden|^hid$| hid$| hid |^hid |banner|combx|comment|com-|contact|foot|footer|footnote|gdpr|masthead|media|meta|outbrain|promo|related|scroll|share|shoutbox|sidebar|skyscraper|sponsor|shopping|tags|tool|widget/i;
const BLOCK = new Set([
  'address', 'article', 'blockquote', 'dd', 'div', 'dl', 'dt', 'figcaption', 'figure', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'li', 'main', 'ol', 'p',
  'pre', 'section', 'table', 'tbody', 'thead', 'tfoot', 'tr', 'ul', 'caption', 'details', 'summary',
]);

const tag = (el: HTMLElement): string => (el.rawTagName ?? '').toLowerCase();
const isElement = (n: Node): n is HTMLElement => n.nodeType === NodeType.ELEMENT_NODE;

function classAndId(el: HTMLElement): string {
  return `${el.getAttribute('class') ?? ''} ${el.getAttribute('id') ?? ''}`;
}

const SCRIPT_TAGS = new Set(['script', 'style', 'noscript', 'template']);

function removeScripts(el: HTMLElement): void {
  for (const child of [...el.childNodes]) {
    if (child.nodeType === NodeType.COMMENT_NODE) child.remove();
    else if (isElement(child)) {
      if (SCRIPT_TAGS.has(tag(child))) child.remove();
      else removeScripts(child);
    }
  }
}

function removeChrome(root: HTMLElement): void {
  const walk = (el: HTMLElement): void => {
    for (const child of [...el.childNodes]) {
      if (!isElement(child)) {
        if (child.nodeType === NodeType.COMMENT_NODE) child.remove();
        continue;
      }
      const name = tag(child);
      const ci = classAndId(child);
      const hidden = child.getAttribute('hidden') !== undefined || /display\s*:\s*none/i.test(child.getAttribute('style') ?? '') || child.getAttribute('aria-hidden') === 'true';
      const role = child.getAttribute('role') ?? '';
      if (
        REMOVE_TAGS.has(name) ||
        hidden ||
        /^(navigation|banner|complementary|contentinfo|dialog|search)$/.test(role) ||
        (name !== 'body' && name !== 'article' && name !== 'main' && UNLIKELY.test(ci) && !MAYBE.test(ci))
      ) {
        child.remove();
        continue;
      }
      walk(child);
    }
  };
  walk(root);
}

function textLength(el: HTMLElement): number {
  return el.text.replace(/\s+/g, ' ').trim().length;
}

function linkDensity(el: HTMLElement): number {
  const total = textLength(el);
  if (total === 0) return 0;
  let links = 0;
  for (const a of el.querySelectorAll('a')) links += textLength(a);
  return links / total;
}

function classWeight(el: HTMLElement): number {
  let w = 0;
  for (const v of [el.getAttribute('class') ?? '', el.getAttribute('id') ?? '']) {
    if (v === '') continue;
    if (NEGATIVE.test(v)) w -= 25;
    if (POSITIVE.test(v)) w += 25;
  }
  return w;
}

function initialScore(el: HTMLElement): number {
  const name = tag(el);
  let s = classWeight(el);
  if (name === 'div' || name === 'article' || name === 'main' || name === 'section') s += 5;
  else if (name === 'pre' || name === 'td' || name === 'blockquote') s += 3;
  else if (['address', 'ol', 'ul', 'dl', 'dd', 'dt', 'li', 'form'].includes(name)) s -= 3;
  else if (/^h[1-6]$/.test(name) || name === 'th') s -= 5;
  return s;
}

/** The element holding the main content (Readability-style scoring), or the body. */
export function findMainContent(root: HTMLElement): HTMLElement {
  const body = root.querySelector('body') ?? root;
  // Semantic markup first: a single <article>/<main> with most of the text.
  const semantic = body.querySelectorAll('article, main, [role=main]');
  const bodyLength = textLength(body);
  if (semantic.length >= 1) {
    const best = semantic.reduce((a, b) => (textLength(b) > textLength(a) ? b : a));
    if (textLength(best) >= 0.5 * bodyLength && textLength(best) > 140) return best;
  }
  const scores = new Map<HTMLElement, number>();
  const add = (el: HTMLElement | null, amount: number): void => {
    if (el === null || !isElement(el)) return;
    if (!scores.has(el)) scores.set(el, initialScore(el));
    scores.set(el, scores.get(el)! + amount);
  };
  for (const p of body.querySelectorAll('p, pre, td, blockquote, li')) {
    const text = p.text.replace(/\s+/g, ' ').trim();
    if (text.length < 25) continue;
    const score = 1 + text.split(/[,，]/).length - 1 + 1 + Math.min(Math.floor(text.length / 100), 3);
    const parent = p.parentNode as HTMLElement | null;
    add(parent, score);
    add((parent?.parentNode as HTMLElement | null) ?? null, score / 2);
    add((parent?.parentNode?.parentNode as HTMLElement | null) ?? null, score / 6);
  }
  let top: HTMLElement | null = null;
  let topScore = -Infinity;
  for (const [el, s] of scores) {
    const final = s * (1 - linkDensity(el));
    scores.set(el, final);
    if (final > topScore) {
      topScore = final;
      top = el;
    }
  }
  if (top === null) return body;
  // Readability: when the top candidate's parent gathers comparable score from several children, prefer it.
  const parent = top.parentNode as HTMLElement | null;
  if (parent !== null && isElement(parent) && parent !== root) {
    const siblings = parent.childNodes.filter(isElement);
    const strong = siblings.filter((s) => s !== top && (scores.get(s) ?? 0) >= Math.max(10, topScore * 0.2));
    if (strong.length > 0) return parent;
  }
  return top;
}

/** Text with line breaks at block boundaries, whitespace collapsed inside blocks, <pre> kept. */
export function htmlToText(el: HTMLElement): string {
  const parts: string[] = [];
  const walk = (node: Node, pre: boolean): void => {
    if (node.nodeType === NodeType.TEXT_NODE) {
      const t = node.text;
      parts.push(pre ? t : t.replace(/\s+/g, ' '));
      return;
    }
    if (!isElement(node)) return;
    const name = tag(node);
    if (name === 'br') {
      parts.push('\n');
      return;
    }
    const block = BLOCK.has(name);
    if (block) parts.push('\n\n');
    if (name === 'li') parts.push('- ');
    if (name === 'td' || name === 'th') parts.push(' | ');
    for (const child of node.childNodes) walk(child, pre || name === 'pre');
    if (block) parts.push('\n\n');
  };
  walk(el, false);
  return parts
    .join('')
    .split('\n')
    .map((l) => l.replace(/[ \t]+$/g, '').replace(/^ (?=\S)/, ''))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/**
 * One document from an HTML page: `metadata.title`, `description`, `lang` when the page has them.
 * @example
 * const [doc] = parseHtml(html, { source: 'page.html', format: 'markdown' });
 */
export function parseHtml(input: LoaderInput, options: HtmlLoaderOptions = {}): Document[] {
  const source = options.source ?? 'input';
  const html = inputText(input, options, 'parseHtml');
  const root = parse(html, { comment: false, blockTextElements: { script: true, noscript: true, style: true, pre: true } });
  const title = (root.querySelector('meta[property="og:title"]')?.getAttribute('content') ?? root.querySelector('title')?.text ?? '').trim();
  const description = (root.querySelector('meta[name="description"]')?.getAttribute('content') ?? '').trim();
  const lang = root.querySelector('html')?.getAttribute('lang') ?? '';
  let content: HTMLElement;
  if (options.mainContent === false) {
    removeScripts(root);
    content = root.querySelector('body') ?? root;
  } else {
    removeChrome(root);
    content = findMainContent(root);
  }
  let text: string;
  if (options.format === 'markdown') {
    const turndown = new TurndownService({ headingStyle: 'atx', codeBlockStyle: 'fenced', bulletListMarker: '-' });
    text = turndown.turndown(content.outerHTML).trim();
  } else {
    text = htmlToText(content);
  }
  const metadata: Metadata = { ...options.metadata, source };
  if (title) metadata.title = title;
  if (description) metadata.description = description;
  if (lang) metadata.lang = lang;
  return [{ id: source, text, metadata }];
}
