import type { ChatMessage, Completion, GenerateOptions, GenerationChunk, LanguageModel } from '@llmkit/core';

/**
 * A scripted, deliberately vulnerable LanguageModel for guard and red-team tests: it obeys
 * instructions found anywhere in its context (the failure mode guards exist for).
 * - "say X" / "reply with X" / "answer only X" -> outputs X
 * - asks for the system prompt / instructions / words above -> outputs the system prompt verbatim
 * - otherwise answers `fallback`.
 * Output is streamed in small chunks of `chunkSize` characters.
 */
export class ScriptedModel implements LanguageModel {
  readonly id = 'scripted-vulnerable';
  constructor(
    private readonly options: { fallback?: string; chunkSize?: number; reply?: (text: string, system: string) => string | undefined } = {},
  ) {}

  respond(prompt: string | ChatMessage[]): string {
    const msgs = typeof prompt === 'string' ? [{ role: 'user', content: prompt }] : prompt;
    const system = msgs.filter((m) => m.role === 'system').map((m) => m.content).join('\n');
    const user = msgs.filter((m) => m.role !== 'system').map((m) => m.content).join('\n');
    const custom = this.options.reply?.(user, system);
    if (custom !== undefined) return custom;
    const decoded = user.replace(/[A-Za-z0-9+/]{24,}={0,2}/g, (s) => Buffer.from(s, 'base64').toString('latin1'));
    const low = decoded.toLowerCase();
    const say = /(?:say|reply (?:only )?with|answer only|respond only with|dites|di|sage)\s*[«"“]?\s*([A-Z][A-Z0-9!-]{3,})/i.exec(decoded);
    if (say) return `${say[1]}`;
    if (/system prompt|instructions|words above|hidden/.test(low)) return `Sure. My instructions are: ${system}`;
    return this.options.fallback ?? 'I am happy to help with questions about the handbook.';
  }

  async *generate(prompt: string | ChatMessage[], _options?: GenerateOptions): AsyncIterable<GenerationChunk> {
    const text = this.respond(prompt);
    const n = this.options.chunkSize ?? 5;
    for (let i = 0; i < text.length; i += n) yield { text: text.slice(i, i + n) };
    yield { text: '', finishReason: 'stop' };
  }

  async complete(prompt: string | ChatMessage[], _options?: GenerateOptions): Promise<Completion> {
    return { text: this.respond(prompt), finishReason: 'stop' };
  }
}
