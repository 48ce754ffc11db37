import { SecurityOptionError } from '../errors/index.js';
import { detectCanaryLeak, detectPromptLeak, type Canary } from '../canary/canary.js';
import { scanPii } from '../pii/scan-pii.js';
import { scanSecrets } from '../pii/secrets.js';

/** One problem an output scanner found. */
export interface OutputFinding {
  scanner: string;
  reason: string;
  start?: number;
  end?: number;
  text?: string;
}

/** Options of {@link scanOutput}. */
export interface ScanOutputOptions {
  /** Hosts (or suffixes like `.example.com`) links and images may point to. Others are reported. Omit to allow any host. */
  allowedHosts?: string[];
  canary?: Canary | string;
  systemPrompt?: string;
  /** Scanners to run (default all): exfiltration, urls, code, refusal, canary, prompt_leak, pii, secrets. */
  scanners?: string[];
  /** Forbidden strings (exact, case-insensitive). */
  forbidden?: string[];
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

export function hostAllowed(host: string, allowed: readonly string[]): boolean {
  return allowed.some((a) => {
    const x = a.toLowerCase();
    return x.startsWith('.') ? host.endsWith(x) || host === x.slice(1) : host === x;
  });
}

/** Markdown images and links whose URL carries data (long query strings, encoded payloads) or points off the allow-list. */
export function scanMarkdownExfiltration(text: string, allowedHosts?: string[]): OutputFinding[] {
  const out: OutputFinding[] = [];
  const re = /(!?)\[([^\]]*)\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)|<img[^>]+src=["']([^"']+)["']|^\s*\[[^\]]+\]:\s*(\S+)/gim;
  for (const m of text.matchAll(re)) {
    const url = m[3] ?? m[4] ?? m[5] ?? '';
    const isImage = m[1] === '!' || m[4] !== undefined;
    const host = hostOf(url);
    if (host === undefined) continue;
    const u = new URL(url);
    const payload = decodeURIComponent(u.search + u.hash + u.pathname).replace(/^\/+/, '');
    const reasons: string[] = [];
    if (allowedHosts && !hostAllowed(host, allowedHosts)) reasons.push(`host ${host} is not on the allow-list`);
    const longParam = [...u.searchParams.values()].some((v) => v.length >= 24);
    if (isImage && (u.search.length > 1 || longParam)) reasons.push('image URL carries query data (auto-loaded: zero-click exfiltration)');
    else if (longParam || /[A-Za-z0-9+/=_-]{40,}/.test(payload)) reasons.push('URL carries a long encoded payload');
    if (scanSecrets(payload).length > 0 || scanPii(payload, { entities: ['EMAIL_ADDRESS', 'CREDIT_CARD', 'US_SSN', 'IBAN_CODE', 'PHONE_NUMBER'] }).length > 0) reasons.push('URL contains PII or a secret');
    if (reasons.length > 0) out.push({ scanner: 'exfiltration', reason: `${isImage ? 'image' : 'link'}: ${reasons.join('; ')}`, start: m.index, end: m.index! + m[0].length, text: m[0] });
  }
  return out;
}

/** Bare URLs not on the allow-list. */
export function scanUrls(text: string, allowedHosts: string[]): OutputFinding[] {
  const out: OutputFinding[] = [];
  for (const m of text.matchAll(/\b(?:https?|ftp):\/\/[^\s<>"'`)\]]+/gi)) {
    const host = hostOf(m[0]);
    if (host && !hostAllowed(host, allowedHosts)) out.push({ scanner: 'urls', reason: `URL host ${host} is not on the allow-list`, start: m.index, end: m.index! + m[0].length, text: m[0] });
  }
  return out;
}

const CODE_PATTERNS: Array<[string, RegExp]> = [
  ['shell: remote script piped to a shell', /\b(?:curl|wget)\b[^\n|]*\|\s*(?:sudo\s+)?(?:ba|z|k)?sh\b/i],
  ['shell: recursive delete of root or home', /\brm\s+-(?:[a-z]*r[a-z]*f|[a-z]*f[a-z]*r)[a-z]*\s+(?:--no-preserve-root\s+)?(?:\/|~|\$HOME|\/\*)(?:\s|$)/i],
  ['shell: reverse shell', /\b(?:nc|ncat|netcat)\b[^\n]*\s-e\s|\/dev\/tcp\/\d|bash\s+-i\s+>&/i],
  ['shell: fork bomb', /:\(\)\s*\{\s*:\|:&\s*\};:/],
  ['shell: disk overwrite', /\bdd\s+if=\/dev\/(?:zero|random|urandom)\s+of=\/dev\/[sh]d/i],
  ['shell: world-writable root', /\bchmod\s+-R\s+777\s+\//i],
  ['code: eval of decoded payload', /\b(?:eval|exec)\s*\(\s*(?:atob|base64\.b64decode|Buffer\.from|bytes\.fromhex|codecs\.decode)/i],
  ['code: dynamic eval of input', /\b(?:eval|exec)\s*\(\s*(?:input|request|req\.|params|argv)/i],
  ['code: subprocess with shell=True', /subprocess\.\w+\([^)]*shell\s*=\s*True/],
  ['code: child_process exec', /child_process['"]?\)?\.exec(?:Sync)?\s*\(|require\(['"]child_process['"]\)/],
  ['sql: destructive statement', /;\s*(?:drop\s+table|truncate\s+table|delete\s+from\s+\w+\s*;)|'\s*or\s+'1'\s*=\s*'1|union\s+select\s+.*\bfrom\b/i],
  ['html: script injection', /<script\b[^>]*>[\s\S]*?<\/script>|\bon(?:error|load|click)\s*=\s*["'][^"']*["']|javascript:/i],
  ['powershell: encoded command', /powershell(?:\.exe)?\s+[^\n]*-(?:e|enc|encodedcommand)\s+[A-Za-z0-9+/=]{20,}/i],
];

/** Dangerous code and shell patterns (piped remote scripts, rm -rf /, reverse shells, eval of decoded data, SQL injection, script tags). */
export function scanCode(text: string): OutputFinding[] {
  const out: OutputFinding[] = [];
  for (const [reason, re] of CODE_PATTERNS) {
    const m = re.exec(text);
    if (m) out.push({ scanner: 'code', reason, start: m.index, end: m.index + m[0].length, text: m[0] });
  }
  return out;
}

const REFUSAL = /\b(?:i(?:'m| am) (?:sorry|afraid)|i (?:can(?:'|no)t|cannot|won't|will not|am unable to|am not able to|must decline|do not feel comfortable)|as an ai(?: language model)?|i'm not (?:able|allowed|permitted) to|that (?:request )?(?:is|would be) (?:against|inappropriate)|(?:violates?|against) (?:my|the|our) (?:guidelines|policies|policy|content policy)|i (?:can't|cannot) (?:help|assist) with (?:that|this))\b/i;

/** True when the text reads as a refusal ("I'm sorry, but I can't help with that"). */
export function isRefusal(text: string): boolean {
  return REFUSAL.test(text.slice(0, 600).replace(/[’]/g, "'"));
}

/**
 * Run output scanners on a model answer: markdown image/link exfiltration, URL allow-list,
 * code and shell injection patterns, refusal detection, canary leaks, system-prompt leakage,
 * PII and secret leaks, forbidden strings.
 * @throws SecurityOptionError (`security_invalid_option`) on an unknown scanner name.
 * @example
 * scanOutput(answer, { allowedHosts: ['docs.example.com'], canary }).filter((f) => f.scanner !== 'refusal');
 */
export function scanOutput(text: string, options: ScanOutputOptions = {}): OutputFinding[] {
  const all = ['exfiltration', 'urls', 'code', 'refusal', 'canary', 'prompt_leak', 'pii', 'secrets', 'forbidden'];
  const which = new Set(options.scanners ?? all);
  for (const s of which) if (!all.includes(s)) throw new SecurityOptionError(`scanOutput: unknown scanner ${JSON.stringify(s)}; known: ${all.join(', ')}.`);
  const out: OutputFinding[] = [];
  if (which.has('exfiltration')) out.push(...scanMarkdownExfiltration(text, options.allowedHosts));
  if (which.has('urls') && options.allowedHosts) out.push(...scanUrls(text, options.allowedHosts));
  if (which.has('code')) out.push(...scanCode(text));
  if (which.has('refusal') && isRefusal(text)) out.push({ scanner: 'refusal', reason: 'the answer is a refusal' });
  if (which.has('canary') && options.canary !== undefined) {
    const leak = detectCanaryLeak(text, options.canary);
    if (leak.leaked) out.push({ scanner: 'canary', reason: `canary leaked (${leak.forms.join(', ')})` });
  }
  if (which.has('prompt_leak') && options.systemPrompt) {
    const leak = detectPromptLeak(text, options.systemPrompt);
    if (leak.leaked) out.push({ scanner: 'prompt_leak', reason: `system prompt leaked (overlap ${leak.overlap.toFixed(2)}, run ${leak.longestRun} words)` });
  }
  if (which.has('pii')) for (const f of scanPii(text)) out.push({ scanner: 'pii', reason: `PII ${f.type}`, start: f.start, end: f.end, text: f.text });
  if (which.has('secrets')) for (const f of scanSecrets(text)) out.push({ scanner: 'secrets', reason: `secret ${f.type}`, start: f.start, end: f.end, text: f.text });
  if (which.has('forbidden') && options.forbidden) {
    const low = text.toLowerCase();
    for (const s of options.forbidden) {
      const i = low.indexOf(s.toLowerCase());
      if (i >= 0) out.push({ scanner: 'forbidden', reason: `forbidden string ${JSON.stringify(s)}`, start: i, end: i + s.length, text: text.slice(i, i + s.length) });
    }
  }
  return out;
}
