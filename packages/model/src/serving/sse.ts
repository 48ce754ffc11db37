/**
 * Server-sent events as the OpenAI API uses them: `data: {...}\n\n` events, `: comment` lines
 * (keep-alives), and a final `data: [DONE]`.
 */

/** One parsed event: the joined `data:` lines and the `event:` name when present. */
export interface SseEvent {
  event?: string;
  data: string;
}

/**
 * An incremental SSE parser (WHATWG event-stream rules): feed text as it arrives, in pieces of any
 * size (an event or a line may be split across pieces); complete events come back. Comment lines
 * (`: keep-alive`) are skipped; `\r\n`, `\r` and `\n` all end a line.
 * @example
 * const parser = new SseParser();
 * parser.push('data: {"a"'); // []
 * parser.push(':1}\n\n'); // [{ data: '{"a":1}' }]
 */
export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private event: string | undefined;
  private pendingCr = false;

  /** Feed decoded text; returns the events completed by it. */
  push(text: string): SseEvent[] {
    const events: SseEvent[] = [];
    if (this.pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.pendingCr = false;
    this.buffer += text;
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) break;
      // A lone '\r' at the very end may be the first half of '\r\n'.
      if (match[0] === '\r' && match.index === this.buffer.length - 1) {
        this.pendingCr = true;
      }
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      this.line(line, events);
    }
    return events;
  }

  /** End of stream: dispatches an event left without its blank line. */
  end(): SseEvent[] {
    const events: SseEvent[] = [];
    if (this.buffer.length > 0) this.line(this.buffer, events);
    this.buffer = '';
    this.line('', events);
    return events;
  }

  private line(line: string, events: SseEvent[]): void {
    if (line === '') {
      if (this.data.length > 0) events.push(this.event === undefined ? { data: this.data.join('\n') } : { event: this.event, data: this.data.join('\n') });
      this.data = [];
      this.event = undefined;
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
  }
}

/**
 * Format one `data:` event (JSON-encodes objects).
 * @example
 * sseData({ a: 1 }); // 'data: {"a":1}\n\n'
 * sseData('[DONE]'); // 'data: [DONE]\n\n'
 */
export function sseData(payload: unknown): string {
  const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
  return `data: ${text.split('\n').join('\ndata: ')}\n\n`;
}
