/**
 * SSE encoder: writes events and comments in the text/event-stream format
 * (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation).
 *
 * Output always uses LF line ends and ends each event with a blank line. Multi-line data is
 * split into one `data:` line per line (CR, LF and CRLF in the data all count as line ends,
 * which is what a decoder will split on), so decode(encode(e)) == e.
 */
import type { SseEvent } from './types.js';

const LINE_BREAK = /\r\n|\r|\n/;

function assertSingleLine(field: string, value: string): void {
  if (/[\r\n]/.test(value)) {
    throw new TypeError(`SSE ${field} must not contain a line break: ${JSON.stringify(value)}`);
  }
}

/** Encodes one event, ending with the blank line that dispatches it. */
export function encodeEvent(event: SseEvent): string {
  let out = '';
  if (event.event !== undefined) {
    assertSingleLine('event', event.event);
    out += `event: ${event.event}\n`;
  }
  if (event.id !== undefined) {
    assertSingleLine('id', event.id);
    if (event.id.includes('\0')) throw new TypeError('SSE id must not contain NUL');
    out += `id: ${event.id}\n`;
  }
  if (event.retry !== undefined) {
    // A safe integer prints as plain digits; 1e21 would print as "1e+21", which every
    // decoder must ignore, silently dropping the field.
    if (!Number.isSafeInteger(event.retry) || event.retry < 0) {
      throw new TypeError(
        `SSE retry must be a non-negative safe integer (milliseconds), got ${event.retry}`,
      );
    }
    out += `retry: ${event.retry}\n`;
  }
  for (const line of event.data.split(LINE_BREAK)) out += `data: ${line}\n`;
  return `${out}\n`;
}

/**
 * Encodes a comment line (`: text`), which every SSE parser ignores. Used for keep-alives
 * while a stream is being resumed. Multi-line text becomes several comment lines.
 */
export function encodeComment(text: string): string {
  let out = '';
  for (const line of text.split(LINE_BREAK)) out += `: ${line}\n`;
  return `${out}\n`;
}

/** Encodes a typed JSON payload the way the Anthropic API does: `event: T` + one data line. */
export function encodeJsonEvent(type: string, payload: unknown): string {
  return `event: ${type}\ndata: ${JSON.stringify(payload)}\n\n`;
}
