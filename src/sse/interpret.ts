/**
 * The field steps of WHATWG HTML "Interpreting an event stream"
 * (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation)
 * for one line at a time: the data buffer, event type and id, dispatch at a blank line, and
 * the size bound. `SseDecoder` finds the lines in the bytes and hands them here; the split
 * keeps the byte-level strategies (ASCII slices, dense UTF-8, fragments) apart from what a
 * line means.
 */
import type { ByteView } from './bytes.js';
import { eventTooLarge, type SseError } from './errors.js';
import type { SseEvent } from './types.js';

// Char codes, compared one by one in the hot path: cheaper than `startsWith` or slicing the
// name out (measured; eventsource-parser found the same).
const C_COLON = 58;
const C_D = 100;
const C_A = 97;
const C_T = 116;
const C_E = 101;
const C_V = 118;
const C_N = 110;
const C_I = 105;
const C_R = 114;
const C_Y = 121;
const C_0 = 48;
const C_9 = 57;
const C_SPACE = 32;

export interface InterpreterOptions {
  maxEventSize: number;
  onComment?: ((comment: string) => void) | undefined;
  onRetry?: ((milliseconds: number) => void) | undefined;
}

/** Event state of one stream; lines go in through `line()`, events come out in `out`. */
export class EventInterpreter {
  readonly maxEventSize: number;
  readonly #onComment: ((comment: string) => void) | undefined;
  readonly #onRetry: ((milliseconds: number) => void) | undefined;

  /** Events dispatched since the owner last took them. */
  // Stryker disable next-line ArrayDeclaration: never read as is: the decoder gives each push() its own array first
  out: SseEvent[] = [];
  /** Bytes of the event in progress (its lines, line ends excluded). */
  eventBytes = 0;
  /** The spec's "last event ID": the latest valid `id:` field, kept across events. */
  lastEventId = '';
  /** Set once an event passed the limit: the stream cannot be followed past that point. */
  failure: SseError | undefined = undefined;
  /**
   * For the line being interpreted: whether its values must be decoded as UTF-8 from `view`
   * (the text given is then latin1 with byte offsets) rather than sliced from the text.
   */
  // Stryker disable next-line BooleanLiteral: never read as is: the decoder sets it before every line()
  lineHigh = false;
  view: ByteView | undefined = undefined;

  // The spec's data buffer and event type buffer, and this event's id and retry.
  // Stryker disable next-line StringLiteral: read only once appendData() has set it (#hasData)
  #data = '';
  #hasData = false;
  #eventType: string | undefined = undefined;
  #id: string | undefined = undefined;
  #retry: number | undefined = undefined;

  constructor(options: InterpreterOptions) {
    this.maxEventSize = options.maxEventSize;
    this.#onComment = options.onComment;
    this.#onRetry = options.onRetry;
  }

  count(byteLength: number): void {
    this.eventBytes += byteLength;
    if (this.eventBytes > this.maxEventSize) this.fail(this.eventBytes);
  }

  fail(size: number): never {
    const error = eventTooLarge('SseDecoder', this.maxEventSize, size, this.out);
    this.failure = error;
    throw error;
  }

  /** A field value `text[start, end)`: a slice when ASCII, else decoded from the bytes. */
  #value(text: string, start: number, end: number): string {
    return this.lineHigh ? this.view!.utf8(start, end) : text.slice(start, end);
  }

  /** Interprets one line (the spec's "process the field"). */
  line(text: string, start: number, end: number): void {
    if (start === end) {
      this.dispatch();
      return;
    }
    // A short line cannot match a longer prefix by reading past its end: the next code unit
    // is a line end (or past the text), never a letter or a colon.
    if (isDataField(text, start)) {
      this.appendData(this.#value(text, valueStart(text, start + 5, end), end));
      return;
    }
    const c0 = text.charCodeAt(start);
    if (
      c0 === C_E &&
      text.charCodeAt(start + 1) === C_V &&
      text.charCodeAt(start + 2) === C_E &&
      text.charCodeAt(start + 3) === C_N &&
      text.charCodeAt(start + 4) === C_T &&
      text.charCodeAt(start + 5) === C_COLON
    ) {
      const value = this.#value(text, valueStart(text, start + 6, end), end);
      this.#eventType = value === '' ? undefined : value;
      return;
    }
    if (c0 === C_COLON) {
      if (this.#onComment !== undefined) {
        this.#onComment(this.#value(text, valueStart(text, start + 1, end), end));
      }
      return;
    }
    // Other fields: the name runs to the first colon, or is the whole line. The search is
    // bounded by the line so lines without a colon never scan ahead.
    let colon = start;
    while (colon < end && text.charCodeAt(colon) !== C_COLON) colon++;
    const value = colon === end ? '' : this.#value(text, valueStart(text, colon + 1, end), end);
    this.#field(text, start, colon, value);
  }

  #field(text: string, start: number, nameEnd: number, value: string): void {
    const length = nameEnd - start;
    const c0 = text.charCodeAt(start);
    if (length === 4 && text.startsWith('data', start)) {
      this.appendData(value);
    } else if (length === 5 && text.startsWith('event', start)) {
      this.#eventType = value === '' ? undefined : value;
    } else if (length === 2 && c0 === C_I && text.charCodeAt(start + 1) === C_D) {
      // An id containing NUL is ignored: it could not be sent back as Last-Event-ID.
      if (!value.includes('\0')) {
        this.#id = value;
        this.lastEventId = value;
      }
    } else if (
      length === 5 &&
      c0 === C_R &&
      text.charCodeAt(start + 1) === C_E &&
      text.charCodeAt(start + 2) === C_T &&
      text.charCodeAt(start + 3) === C_R &&
      text.charCodeAt(start + 4) === C_Y
    ) {
      if (isAsciiDigits(value)) {
        const retry = Number.parseInt(value, 10);
        this.#retry = retry;
        this.#onRetry?.(retry);
      }
    }
    // Any other field name is ignored, as the spec says.
  }

  appendData(value: string): void {
    // The spec appends value + LF and strips the final LF at dispatch; joining with LF is
    // the same without the strip.
    this.#data = this.#hasData ? `${this.#data}\n${value}` : value;
    this.#hasData = true;
  }

  dispatch(): void {
    // An event whose data buffer is empty (no data line) is not dispatched.
    if (this.#hasData) {
      this.out.push({
        event: this.#eventType,
        data: this.#data,
        id: this.#id,
        retry: this.#retry,
      });
    }
    this.reset();
  }

  reset(): void {
    // Stryker disable next-line StringLiteral: frees the event's data; read only once appendData() has set it again (#hasData)
    this.#data = '';
    this.#hasData = false;
    this.#eventType = undefined;
    this.#id = undefined;
    this.#retry = undefined;
    this.eventBytes = 0;
  }
}

/** Whether `text` has the field name `data` and its colon at `start`. */
export function isDataField(text: string, start: number): boolean {
  return (
    text.charCodeAt(start) === C_D &&
    text.charCodeAt(start + 1) === C_A &&
    text.charCodeAt(start + 2) === C_T &&
    text.charCodeAt(start + 3) === C_A &&
    text.charCodeAt(start + 4) === C_COLON
  );
}

/** Where a field's value starts: after the colon, skipping one space if there is one. */
export function valueStart(text: string, afterColon: number, end: number): number {
  return afterColon < end && text.charCodeAt(afterColon) === C_SPACE ? afterColon + 1 : afterColon;
}

function isAsciiDigits(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < C_0 || c > C_9) return false;
  }
  return true;
}
