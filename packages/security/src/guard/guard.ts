import type { ChatMessage, Completion, GenerateOptions, GenerationChunk, LanguageModel } from '@llmkit/core';
import { GuardBlockedError, SecurityOptionError } from '../errors/index.js';
import { detectInjection, type DetectInjectionOptions } from '../injection/detect.js';
import { detectCanaryLeak, detectPromptLeak, type Canary } from '../canary/canary.js';
import { scanPii, type PiiFinding } from '../pii/scan-pii.js';
import { scanSecrets } from '../pii/secrets.js';
import { redact, Vault } from '../pii/redact.js';
import { scanCode, scanMarkdownExfiltration, scanUrls } from '../output/scanners.js';

/** What a rail does when it fires. */
export type RailAction = 'block' | 'redact' | 'warn' | 'off';

/** Input and output rails of {@link guard}. */
export interface GuardPolicy {
  input?: {
    /** Injection / jailbreak detection on user and tool messages (default `block`; `redact` behaves as `block`). */
    injection?: RailAction;
    detect?: DetectInjectionOptions;
    /** PII in the prompt (default `off`); `redact` replaces it with vault placeholders the answer is deanonymised from. */
    pii?: RailAction;
    /** Secrets in the prompt (default `redact`). */
    secrets?: RailAction;
  };
  output?: {
    canary?: Canary | string;
    /** Canary leak action (default `block`). */
    canaryAction?: RailAction;
    systemPrompt?: string;
    /** System-prompt n-gram leakage (default `block` when systemPrompt is set). */
    promptLeak?: RailAction;
    /** Markdown image/link exfiltration (default `block`). */
    exfiltration?: RailAction;
    allowedHosts?: string[];
    /** URLs off the allow-list (default `redact` when allowedHosts is set). */
    urls?: RailAction;
    /** PII in the answer (default `redact`). */
    pii?: RailAction;
    /** Secrets in the answer (default `redact`). */
    secrets?: RailAction;
    /** Dangerous code/shell patterns (default `warn`). */
    code?: RailAction;
    /** Forbidden strings (blocked). */
    forbidden?: string[];
  };
  /** On block: `message` (default) answers with blockMessage; `throw` raises GuardBlockedError. */
  onBlock?: 'message' | 'throw';
  blockMessage?: string;
  /** Characters held back while streaming so an entity split across chunks is caught (default 96). */
  holdBack?: number;
  onIncident?: (incident: Incident) => void;
}

/** A recorded rail firing. */
export interface Incident {
  time: string;
  stage: 'input' | 'output';
  action: Exclude<RailAction, 'off'>;
  rail: string;
  reasons: string[];
}

/** A guarded model: a core LanguageModel plus its incident log. */
export interface GuardedModel extends LanguageModel {
  readonly incidents: Incident[];
}

interface OutputHit {
  rail: string;
  action: Exclude<RailAction, 'off'>;
  reason: string;
  start?: number;
  end?: number;
  type?: string;
}

const DEFAULT_BLOCK = "I can't help with that request.";

function toMessages(prompt: string | ChatMessage[]): ChatMessage[] {
  return typeof prompt === 'string' ? [{ role: 'user', content: prompt }] : prompt.map((m) => ({ ...m }));
}

/**
 * Wrap a LanguageModel with input and output rails: injection detection, PII and secret
 * redaction (reversible through a vault), canary and system-prompt leak checks, markdown
 * exfiltration, URL allow-lists and dangerous-code warnings. Streams safely: text is
 * scanned as it arrives and a window is held back so an entity split across chunks is
 * caught before it is emitted. Every firing is recorded in `incidents`.
 * @throws SecurityOptionError (`security_invalid_option`) on an unknown action; GuardBlockedError (`security_blocked`) on block when onBlock is `throw`.
 * @example
 * const safe = guard(model, { output: { canary, systemPrompt } });
 * for await (const c of safe.generate(userText)) process.stdout.write(c.text);
 */
export function guard(model: LanguageModel, policy: GuardPolicy = {}): GuardedModel {
  const actions = ['block', 'redact', 'warn', 'off'];
  const check = (name: string, a: unknown): void => {
    if (a !== undefined && !actions.includes(a as string)) throw new SecurityOptionError(`guard: policy ${name} must be one of ${actions.join(', ')}, got ${JSON.stringify(a)}.`);
  };
  for (const [k, v] of Object.entries(policy.input ?? {})) if (k !== 'detect') check(`input.${k}`, v);
  for (const [k, v] of Object.entries(policy.output ?? {})) if (!['canary', 'systemPrompt', 'allowedHosts', 'forbidden'].includes(k)) check(`output.${k}`, v);
  const holdBack = policy.holdBack ?? 96;
  if (!Number.isInteger(holdBack) || holdBack < 0) throw new SecurityOptionError(`guard: holdBack must be a non-negative integer, got ${holdBack}.`);
  const incidents: Incident[] = [];
  const record = (stage: 'input' | 'output', action: Exclude<RailAction, 'off'>, rail: string, reasons: string[]): void => {
    const inc: Incident = { time: new Date().toISOString(), stage, action, rail, reasons };
    incidents.push(inc);
    policy.onIncident?.(inc);
  };
  const blockMessage = policy.blockMessage ?? DEFAULT_BLOCK;
  const input = policy.input ?? {};
  const output = policy.output ?? {};

  async function guardInput(prompt: string | ChatMessage[]): Promise<{ messages: ChatMessage[]; vault: Vault; blocked?: string[] }> {
    const messages = toMessages(prompt);
    const vault = new Vault();
    const injAction = input.injection ?? 'block';
    // The system messages give the injection detector its context layer (what they protect and restrict).
    const systemText = messages.filter((m) => m.role === 'system').map((m) => m.content).join('\n');
    const detectOptions: DetectInjectionOptions = systemText && input.detect?.systemPrompt === undefined ? { ...input.detect, systemPrompt: systemText } : (input.detect ?? {});
    for (const m of messages) {
      if (m.role === 'system' || m.role === 'assistant') continue;
      if (injAction !== 'off') {
        const r = await detectInjection(m.content, detectOptions);
        if (r.label === 'injection') {
          const reasons = [`injection score ${r.score.toFixed(2)}`, ...r.layers.flatMap((l) => l.evidence).slice(0, 6)];
          const action = injAction === 'redact' ? 'block' : injAction;
          record('input', action, 'injection', reasons);
          if (action === 'block') return { messages, vault, blocked: reasons };
        }
      }
      const secAction = input.secrets ?? 'redact';
      const piiAction = input.pii ?? 'off';
      const findings: PiiFinding[] = [];
      if (secAction !== 'off') {
        const s = scanSecrets(m.content);
        if (s.length > 0) {
          record('input', secAction, 'secrets', s.map((f) => `secret ${f.type}`));
          if (secAction === 'block') return { messages, vault, blocked: s.map((f) => `secret ${f.type} in the prompt`) };
          if (secAction === 'redact') findings.push(...s);
        }
      }
      if (piiAction !== 'off') {
        const p = scanPii(m.content).filter((f) => !findings.some((g) => f.start < g.end && g.start < f.end));
        if (p.length > 0) {
          record('input', piiAction, 'pii', p.map((f) => `PII ${f.type}`));
          if (piiAction === 'block') return { messages, vault, blocked: p.map((f) => `PII ${f.type} in the prompt`) };
          if (piiAction === 'redact') findings.push(...p);
        }
      }
      if (findings.length > 0) m.content = redact(m.content, findings, { mode: 'anonymize', vault });
    }
    return { messages, vault };
  }

  /** Findings in `text` (scan region starts at `from`); canary and prompt leak look at the whole text. */
  function outputHits(text: string, from: number): OutputHit[] {
    const hits: OutputHit[] = [];
    const region = text.slice(from);
    const add = (rail: string, action: RailAction | undefined, reason: string, start?: number, end?: number, type?: string): void => {
      if (action === undefined || action === 'off') return;
      hits.push({ rail, action, reason, start: start === undefined ? undefined : start + from, end: end === undefined ? undefined : end + from, type });
    };
    if (output.canary !== undefined) {
      const leak = detectCanaryLeak(text, output.canary);
      if (leak.leaked) add('canary', output.canaryAction ?? 'block', `canary leaked (${leak.forms.join(', ')})`);
    }
    if (output.systemPrompt) {
      const leak = detectPromptLeak(text, output.systemPrompt);
      if (leak.leaked) add('prompt_leak', output.promptLeak ?? 'block', `system prompt leaked (overlap ${leak.overlap.toFixed(2)})`);
    }
    for (const f of scanMarkdownExfiltration(region, output.allowedHosts)) add('exfiltration', output.exfiltration ?? 'block', f.reason, f.start, f.end, 'LINK');
    if (output.allowedHosts) for (const f of scanUrls(region, output.allowedHosts)) add('urls', output.urls ?? 'redact', f.reason, f.start, f.end, 'URL');
    for (const f of scanSecrets(region)) add('secrets', output.secrets ?? 'redact', `secret ${f.type}`, f.start, f.end, f.type);
    for (const f of scanPii(region)) add('pii', output.pii ?? 'redact', `PII ${f.type}`, f.start, f.end, f.type);
    for (const f of scanCode(region)) add('code', output.code ?? 'warn', f.reason, f.start, f.end, 'CODE');
    for (const s of output.forbidden ?? []) {
      const i = region.toLowerCase().indexOf(s.toLowerCase());
      if (i >= 0) add('forbidden', 'block', `forbidden string ${JSON.stringify(s)}`, i, i + s.length);
    }
    return hits;
  }

  const warned = new Set<string>();
  function recordOutput(hits: OutputHit[]): void {
    for (const h of hits) {
      const key = `${h.rail}:${h.reason}:${h.start}`;
      if (warned.has(key)) continue;
      warned.add(key);
      record('output', h.action, h.rail, [h.reason]);
    }
  }

  function blocked(stage: 'input' | 'output', reasons: string[]): GenerationChunk {
    if (policy.onBlock === 'throw') throw new GuardBlockedError(stage, reasons);
    return { text: blockMessage, finishReason: 'content_filter' };
  }

  async function* generate(prompt: string | ChatMessage[], options?: GenerateOptions): AsyncIterable<GenerationChunk> {
    const g = await guardInput(prompt);
    if (g.blocked) {
      yield blocked('input', g.blocked);
      return;
    }
    const deanon = (s: string): string => (g.vault.size > 0 ? g.vault.deanonymize(s) : s);
    let full = '';
    let emitted = 0;
    let finishReason: GenerationChunk['finishReason'];
    // Emit text up to `limit`, redacting hits that end before it; returns the chunk text.
    const flush = (limit0: number): { text: string; block?: string[] } => {
      let limit = limit0;
      // Never cut inside a vault placeholder (<EMAIL_ADDRESS_1>): it is restored on emission.
      if (g.vault.size > 0 && limit < full.length) {
        const open = full.lastIndexOf('<', limit);
        if (open >= emitted && open > limit - 48 && full.indexOf('>', open) < 0) limit = open;
        else if (open >= emitted && open > limit - 48 && full.indexOf('>', open) >= limit) limit = open;
      }
      const hits = outputHits(full, emitted);
      const blocks = hits.filter((h) => h.action === 'block');
      if (blocks.length > 0) {
        recordOutput(blocks);
        return { text: '', block: blocks.map((b) => b.reason) };
      }
      let out = '';
      const redactions = hits.filter((h) => h.action === 'redact' && h.start !== undefined).sort((a, b) => a.start! - b.start!);
      for (const h of redactions) {
        if (h.start! < emitted) continue;
        if (h.end! > limit) {
          limit = Math.min(limit, h.start!); // not complete yet: hold back from its start
          break;
        }
        out += full.slice(emitted, h.start!) + `<${h.type}_REDACTED>`;
        emitted = h.end!;
        recordOutput([h]);
      }
      recordOutput(hits.filter((h) => h.action === 'warn' && (h.end ?? 0) <= limit));
      if (limit > emitted) {
        out += full.slice(emitted, limit);
        emitted = limit;
      }
      return { text: deanon(out) };
    };
    const forward = typeof prompt === 'string' ? g.messages[0]!.content : g.messages;
    for await (const chunk of model.generate(forward, options)) {
      full += chunk.text;
      finishReason = chunk.finishReason ?? finishReason;
      const r = flush(Math.max(emitted, full.length - holdBack));
      if (r.block) {
        yield blocked('output', r.block);
        return;
      }
      if (r.text) yield { text: r.text };
    }
    const r = flush(full.length);
    if (r.block) {
      yield blocked('output', r.block);
      return;
    }
    yield { text: r.text, finishReason: finishReason ?? 'stop' };
  }

  async function complete(prompt: string | ChatMessage[], options?: GenerateOptions): Promise<Completion> {
    let text = '';
    let finishReason: Completion['finishReason'] = 'stop';
    for await (const c of generate(prompt, options)) {
      text += c.text;
      if (c.finishReason) finishReason = c.finishReason;
    }
    return { text, finishReason };
  }

  return { id: `guard(${model.id})`, incidents, generate, complete };
}
