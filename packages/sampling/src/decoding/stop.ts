/**
 * Text stop sequences for streaming decoding. The generated ids are decoded as
 * a whole each step (so stop strings spanning token boundaries are found), and
 * text that might still turn out to be the start of a stop string, or a
 * trailing incomplete UTF-8 character (U+FFFD), is held back until it is safe.
 */
import { InvalidArgumentError } from '@llmkit/core/errors';

/** What {@link TextStopMatcher.update} reports after each token. */
export interface TextStopUpdate {
  /** New text that is safe to emit now (may be empty). */
  delta: string;
  /** True when a stop string was found; `delta` then ends right before it. */
  stopped: boolean;
}

/**
 * Finds stop strings in incrementally decoded text and tells what may be streamed.
 * @throws {InvalidArgumentError} `invalid_argument` when a stop string is empty.
 * @example
 * const m = new TextStopMatcher(['\n\n']);
 * m.update('Hello\n'); // { delta: 'Hello', stopped: false } ('\n' held back)
 * m.update('Hello\n\nBye'); // { delta: '', stopped: true }; m.text === 'Hello'
 */
export class TextStopMatcher {
  private readonly stops: string[];
  private emitted = 0;
  /** All text emitted so far (trimmed of the stop string once stopped). */
  text = '';

  constructor(stopSequences: readonly string[]) {
    for (const s of stopSequences) {
      if (typeof s !== 'string' || s.length === 0) {
        throw new InvalidArgumentError('stopSequences must be non-empty strings; remove the empty entry.');
      }
    }
    this.stops = [...stopSequences];
  }

  /** Feed the full decoded text of the generated tokens so far. */
  update(fullText: string, final = false): TextStopUpdate {
    // Earliest stop occurrence at or after the point where it could newly appear.
    let stopAt = -1;
    for (const s of this.stops) {
      const from = Math.max(0, this.emitted - s.length + 1);
      const at = fullText.indexOf(s, from);
      if (at >= 0 && (stopAt < 0 || at < stopAt)) stopAt = at;
    }
    if (stopAt >= 0) {
      const end = Math.max(stopAt, this.emitted);
      const delta = fullText.slice(this.emitted, end);
      this.emitted = end;
      this.text += delta;
      return { delta, stopped: true };
    }
    let safeEnd = fullText.length;
    if (!final) {
      // Hold back trailing replacement characters (a partial UTF-8 sequence)...
      while (safeEnd > this.emitted && fullText.charCodeAt(safeEnd - 1) === 0xfffd) safeEnd--;
      // ...and a suffix that is a prefix of some stop string.
      const visible = fullText.slice(0, safeEnd);
      let hold = 0;
      for (const s of this.stops) {
        for (let len = Math.min(s.length - 1, visible.length); len > hold; len--) {
          if (visible.endsWith(s.slice(0, len))) {
            hold = len;
            break;
          }
        }
      }
      safeEnd -= hold;
    }
    safeEnd = Math.max(safeEnd, this.emitted);
    const delta = fullText.slice(this.emitted, safeEnd);
    this.emitted = safeEnd;
    this.text += delta;
    return { delta, stopped: false };
  }
}
