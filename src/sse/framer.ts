/**
 * SSE framer: the proxy's fast path. Cuts a `text/event-stream` body into events on the bytes,
 * without decoding their data, so an event that needs no change is forwarded as the exact
 * bytes that arrived. Line ends and blank lines follow WHATWG HTML "Interpreting an event
 * stream" (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):
 * LF, CRLF and CR, split across chunks in any way.
 *
 * The frames' `raw` bytes, followed by `end().rest`, are exactly the input bytes. A frame ends
 * right after the line end of its blank line; when that line end is a CR that closes a chunk,
 * the frame is emitted at once (no waiting for the next chunk, which could be a ping interval
 * away) and an LF opening the next chunk, the second half of that CRLF, becomes the first byte
 * of the next frame. A leading LF there is harmless to any parser: it is an empty line with
 * nothing buffered, which dispatches nothing.
 *
 * Work per chunk is linear: one search for LF and one for CR over it, a few bytes read per
 * line, and frames cut as `subarray`s of the chunk (no copy). A frame that spans chunks keeps
 * its pieces (`chunks`) and joins them only when `raw` is read.
 */
import {
  BOM_0,
  BOM_1,
  BOM_2,
  type ByteView,
  bomLength,
  COLON,
  CR,
  decodeUtf8,
  joinBytes,
  LF,
  SPACE,
  viewOf,
} from './bytes.js';
import { DEFAULT_MAX_EVENT_SIZE, SseDecoder } from './decoder.js';
import { eventTooLarge, type SseError, stopped } from './errors.js';
import type { SseEvent } from './types.js';

/** One event (or comment block) of the stream, as bytes. */
export interface SseFrame {
  /**
   * The exact bytes of the event, including the line end of its terminating blank line.
   * For a frame that spans chunks, joined on first access (one copy).
   */
  readonly raw: Uint8Array;
  /**
   * The same bytes as `raw`, in the pieces they arrived in (views of the pushed chunks).
   * Forwarding these (e.g. `socket.cork()`, a `write` each, `uncork()`) never copies, which
   * matters for frames of hundreds of KB: a fresh large buffer costs more than the framing.
   */
  readonly chunks: readonly Uint8Array[];
  /** `raw.length`, without joining. */
  readonly byteLength: number;
  /** The value of the last `event:` field, decoded; `undefined` when absent or empty. */
  readonly event: string | undefined;
  /** True when the frame has no field lines: only comment lines, or nothing but the blank line. */
  readonly isComment: boolean;
  /** The event's data per WHATWG (`data:` lines joined with LF), decoded on first call. */
  dataText(): string;
  /** The whole event as the decoder would dispatch it, or `undefined` if it dispatches none. */
  toEvent(): SseEvent | undefined;
}

/** Options of `SseFramer`. */
export interface SseFramerOptions {
  /** Same bound and same counting as `SseDecoderOptions.maxEventSize`. */
  maxEventSize?: number;
}

// "event" in bytes.
const EVENT_NAME = [0x65, 0x76, 0x65, 0x6e, 0x74] as const;
// Enough bytes to classify any line: a BOM (3) + "event:" (6) + one space.
const HEAD_SIZE = 10;
const NAME_CACHE_SIZE = 32;
const LF_ONLY = new Uint8Array([LF]);

class Frame implements SseFrame {
  #event: SseEvent | undefined | null = null;
  // One view for a frame within one chunk (the usual case), else the pieces.
  #bytes: Uint8Array | Uint8Array[];

  constructor(
    bytes: Uint8Array | Uint8Array[],
    readonly byteLength: number,
    readonly event: string | undefined,
    readonly isComment: boolean,
    // Only the stream's first frame may start with a BOM to strip.
    readonly atStreamStart: boolean,
  ) {
    this.#bytes = bytes;
  }

  get raw(): Uint8Array {
    if (Array.isArray(this.#bytes)) this.#bytes = joinBytes(this.#bytes, this.byteLength);
    return this.#bytes;
  }

  get chunks(): readonly Uint8Array[] {
    return Array.isArray(this.#bytes) ? this.#bytes : [this.#bytes];
  }

  dataText(): string {
    return this.toEvent()?.data ?? '';
  }

  toEvent(): SseEvent | undefined {
    // Stryker disable next-line ConditionalExpression: speed only: decoding the same bytes again gives the same event
    if (this.#event === null) {
      const decoder = new SseDecoder({ maxEventSize: Number.POSITIVE_INFINITY });
      // A blank line first uses up the decoder's stream start, so a U+FEFF opening a later
      // frame stays content, as it is in the whole stream.
      if (!this.atStreamStart) decoder.push(LF_ONLY);
      let event: SseEvent | undefined;
      for (const chunk of this.chunks) event = decoder.push(chunk)[0] ?? event;
      this.#event = event;
    }
    return this.#event;
  }
}

/** Incremental framer. Same chunk contract as `SseDecoder`: do not reuse pushed memory. */
export class SseFramer {
  readonly maxEventSize: number;

  // Bytes of the current frame from earlier chunks.
  #parts: Uint8Array[] = [];
  #partsLength = 0;
  #pendingCR = false;
  #atStreamStart = true;
  #firstLine = true;

  // The current frame.
  #hasField = false;
  #event: string | undefined = undefined;
  #eventBytes = 0;

  // The current line, when it began in an earlier chunk: its length so far and where it
  // starts in #parts.
  #lineLength = 0;
  #linePart = 0;
  #lineOffset = 0;

  // Stryker disable next-line ArrayDeclaration: never read as is: push() gives each call its own array first
  #out: SseFrame[] = [];
  #failure: SseError<SseFrame> | undefined = undefined;
  #names: { key: string; name: string }[] = [];
  #bytesScanned = 0;

  constructor(options: SseFramerOptions = {}) {
    this.maxEventSize = options.maxEventSize ?? DEFAULT_MAX_EVENT_SIZE;
  }

  /** Bytes held for the incomplete frame right now. */
  get bufferedBytes(): number {
    return this.#partsLength;
  }

  /** Work counter for tests: bytes examined while searching for line ends. */
  // Stryker disable next-line BlockStatement: read by the linear-work tests only (see stryker-ignorers.mjs)
  get bytesScanned(): number {
    return this.#bytesScanned;
  }

  /**
   * Frames one chunk, returning the frames it completed. Throws `SseError`
   * (`event-too-large`) like the decoder; the error's `completed` holds this call's frames.
   */
  push(chunk: Uint8Array): SseFrame[] {
    if (this.#failure !== undefined) throw stopped('SseFramer', this.#failure);
    const out: SseFrame[] = [];
    this.#out = out;
    if (chunk.length > 0) this.#feed(chunk);
    return out;
  }

  /**
   * Ends the stream: returns the bytes of the incomplete trailing frame (empty if the stream
   * ended on a frame boundary) and resets the framer for another stream.
   */
  end(): { rest: Uint8Array } {
    if (this.#failure !== undefined) throw stopped('SseFramer', this.#failure);
    const rest = joinBytes(this.#parts, this.#partsLength);
    this.#parts = [];
    this.#partsLength = 0;
    this.#pendingCR = false;
    this.#atStreamStart = true;
    this.#firstLine = true;
    this.#lineLength = 0;
    this.#resetFrame();
    return { rest };
  }

  #feed(chunk: Uint8Array): void {
    const view = viewOf(chunk);
    const len = chunk.length;
    // Line ends are ASCII, so they are found in latin1 text (one code unit per byte) at
    // their byte offsets; string search is inlined by the JIT where a byte search is a call.
    const text = view.latin1(0, len);
    let frameStart = 0;
    let pos = 0;
    if (this.#pendingCR) {
      this.#pendingCR = false;
      // The LF half of a CRLF: part of the current frame's bytes, but not a line.
      if (text.charCodeAt(0) === LF) pos = 1;
    }
    let lineStart = pos;
    let lf = text.indexOf('\n', pos);
    let cr = text.indexOf('\r', pos);
    this.#bytesScanned += (lf === -1 ? len : lf + 1) - pos;
    this.#bytesScanned += (cr === -1 ? len : cr + 1) - pos;

    // A line that began in an earlier chunk ends at the first line end here.
    if (this.#lineLength > 0) {
      const end = cr !== -1 && (lf === -1 || cr < lf) ? cr : lf;
      if (end !== -1) {
        const next = this.#afterLineEnd(text, end);
        const blank = this.#classifySplit(view, end);
        this.#lineLength = 0;
        if (blank) {
          this.#emit(chunk, frameStart, next);
          frameStart = next;
        }
        lineStart = next;
        // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator: speed only: a find at or after `next` is found again by a search from `next`
        if (lf !== -1 && lf < next) {
          lf = text.indexOf('\n', next);
          this.#bytesScanned += (lf === -1 ? len : lf + 1) - next;
        }
        // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator: speed only: a find at or after `next` is found again by a search from `next`
        if (cr !== -1 && cr < next) {
          cr = text.indexOf('\r', next);
          this.#bytesScanned += (cr === -1 ? len : cr + 1) - next;
        }
      }
    }

    if (cr === -1) {
      // The usual case: LF line ends only.
      while (lf !== -1) {
        let next = lf + 1;
        let blank = this.#classify(view, text, lineStart, lf);
        // The blank line right after an event's last line ends the frame at once, without
        // a loop round for an empty line.
        if (!blank && text.charCodeAt(next) === LF) {
          blank = true;
          next++;
          this.#bytesScanned++;
        }
        if (blank) {
          this.#emit(chunk, frameStart, next);
          frameStart = next;
        }
        lineStart = next;
        lf = text.indexOf('\n', next);
        this.#bytesScanned += (lf === -1 ? len : lf + 1) - next;
      }
    } else {
      for (;;) {
        const end = cr !== -1 && (lf === -1 || cr < lf) ? cr : lf;
        if (end === -1) break;
        const next = this.#afterLineEnd(text, end);
        if (this.#classify(view, text, lineStart, end)) {
          this.#emit(chunk, frameStart, next);
          frameStart = next;
        }
        lineStart = next;
        // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator: speed only: a find at or after `next` is found again by a search from `next`
        if (lf !== -1 && lf < next) {
          lf = text.indexOf('\n', next);
          this.#bytesScanned += (lf === -1 ? len : lf + 1) - next;
        }
        // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator: speed only: a find at or after `next` is found again by a search from `next`
        if (cr !== -1 && cr < next) {
          cr = text.indexOf('\r', next);
          this.#bytesScanned += (cr === -1 ? len : cr + 1) - next;
        }
      }
    }

    // Keep the rest of the chunk for the frame in progress.
    if (frameStart < len) {
      if (lineStart < len) {
        if (this.#lineLength === 0) {
          this.#linePart = this.#parts.length;
          this.#lineOffset = lineStart - frameStart;
        }
        this.#lineLength += len - lineStart;
      }
      this.#parts.push(chunk.subarray(frameStart));
      this.#partsLength += len - frameStart;
      const size = this.#eventBytes + this.#lineLength;
      if (size > this.maxEventSize) this.#fail(size);
    }
  }

  /** Where the next line starts after the line end at `end`; notes a CR ending the chunk. */
  #afterLineEnd(text: string, end: number): number {
    const next = end + 1;
    if (end === text.length - 1) {
      if (text.charCodeAt(end) === CR) this.#pendingCR = true;
      return next;
    }
    return text.charCodeAt(end) === CR && text.charCodeAt(next) === LF ? next + 1 : next;
  }

  /**
   * Classifies the line `[start, end)` of this chunk (`text` is its latin1 form) into the
   * current frame. Returns true for a blank line.
   */
  #classify(view: ByteView, text: string, start: number, end: number): boolean {
    this.#count(end - start);
    if (this.#firstLine) {
      this.#firstLine = false;
      start += bomLength(text, start, end);
    }
    if (start === end) return true;
    const c0 = text.charCodeAt(start);
    if (c0 === COLON) return false;
    this.#hasField = true;
    if (
      c0 === EVENT_NAME[0] &&
      text.charCodeAt(start + 1) === EVENT_NAME[1] &&
      text.charCodeAt(start + 2) === EVENT_NAME[2] &&
      text.charCodeAt(start + 3) === EVENT_NAME[3] &&
      text.charCodeAt(start + 4) === EVENT_NAME[4]
    ) {
      if (end - start === 5) {
        this.#event = undefined;
      } else if (text.charCodeAt(start + 5) === COLON) {
        const value =
          text.charCodeAt(start + 6) === SPACE && start + 6 < end ? start + 7 : start + 6;
        this.#event = this.#nameAt(view, text, value, end);
      }
    }
    return false;
  }

  /** Same as `#classify` for a line that began in an earlier chunk and ends at `end` here. */
  #classifySplit(view: ByteView, end: number): boolean {
    const length = this.#lineLength + end;
    // Only the head decides the kind of line; the whole line is gathered only for `event:`,
    // which is short, so a long data line is never copied here.
    const head = this.#lineBytes(view.bytes, end, HEAD_SIZE);
    let skip = 0;
    if (this.#firstLine && head[0] === BOM_0 && head[1] === BOM_1 && head[2] === BOM_2) skip = 3;
    this.#firstLine = false;
    this.#count(length);
    if (length === skip) return true;
    if (head[skip] === COLON) return false;
    this.#hasField = true;
    // The head is the whole line when the line is short, so a bare `event` line is seen.
    if (eventValueStart(head, skip, head.length) !== -1) {
      const line = this.#lineBytes(view.bytes, end, length);
      const valueAt = eventValueStart(line, skip, line.length);
      this.#event = this.#nameOf(line, valueAt, line.length);
    }
    return false;
  }

  /** Up to `max` first bytes of the current split line (its parts, then this chunk to `end`). */
  #lineBytes(bytes: Uint8Array, end: number, max: number): Uint8Array {
    const out = new Uint8Array(Math.min(max, this.#lineLength + end));
    let filled = 0;
    let offset = this.#lineOffset;
    for (let i = this.#linePart; i < this.#parts.length && filled < out.length; i++) {
      const part = this.#parts[i]!;
      const take = Math.min(part.length - offset, out.length - filled);
      out.set(part.subarray(offset, offset + take), filled);
      filled += take;
      offset = 0;
    }
    if (filled < out.length) out.set(bytes.subarray(0, out.length - filled), filled);
    return out;
  }

  #count(lineLength: number): void {
    this.#eventBytes += lineLength;
    if (this.#eventBytes > this.maxEventSize) this.#fail(this.#eventBytes);
  }

  #fail(size: number): never {
    const error = eventTooLarge('SseFramer', this.maxEventSize, size, this.#out);
    this.#failure = error;
    throw error;
  }

  #emit(chunk: Uint8Array, frameStart: number, frameEnd: number): void {
    let bytes: Uint8Array | Uint8Array[];
    let length = frameEnd - frameStart;
    // Stryker disable next-line ConditionalExpression: speed only: a frame within one chunk as one view, else as pieces; the same bytes
    if (this.#parts.length === 0) {
      bytes = chunk.subarray(frameStart, frameEnd);
    } else {
      // Joined only if someone reads `raw`: see SseFrame.chunks. Never empty: a frame ends
      // after the line end of its blank line, which is in this chunk.
      this.#parts.push(chunk.subarray(frameStart, frameEnd));
      bytes = this.#parts;
      length += this.#partsLength;
      this.#parts = [];
      this.#partsLength = 0;
    }
    this.#out.push(new Frame(bytes, length, this.#event, !this.#hasField, this.#atStreamStart));
    this.#atStreamStart = false;
    this.#resetFrame();
  }

  #resetFrame(): void {
    this.#hasField = false;
    this.#event = undefined;
    this.#eventBytes = 0;
  }

  /**
   * The event name `[start, end)` of this chunk. A stream uses a handful of names thousands
   * of times, so recent ones are kept and matched against the latin1 text, which is cheaper
   * than decoding each time and returns a string that does not pin the chunk in memory (a
   * slice of the chunk's text would).
   */
  #nameAt(view: ByteView, text: string, start: number, end: number): string | undefined {
    const length = end - start;
    if (length === 0) return undefined;
    // Stryker disable next-line BlockStatement: speed only: a name not found in the cache is decoded, the same name
    for (const entry of this.#names) {
      // Stryker disable next-line ConditionalExpression,MethodExpression: speed only: a name not found in the cache is decoded, the same name
      if (entry.key.length === length && text.startsWith(entry.key, start)) return entry.name;
    }
    const name = view.utf8(start, end);
    // Stryker disable next-line ConditionalExpression,EqualityOperator: memory and speed only: the cache's size changes no name
    if (this.#names.length >= NAME_CACHE_SIZE) this.#names.shift();
    this.#names.push({ key: view.latin1(start, end), name });
    return name;
  }

  /** An event name from a split line's joined bytes (rare: not cached). */
  #nameOf(bytes: Uint8Array, start: number, end: number): string | undefined {
    return end === start ? undefined : decodeUtf8(bytes.subarray(start, end));
  }
}

/**
 * For a line `bytes[start, end)` that is an `event` field, where its value starts (after the
 * colon and one optional space; `end` for a bare `event` line); -1 for any other line.
 */
function eventValueStart(bytes: Uint8Array, start: number, end: number): number {
  if (end - start < 5) return -1;
  for (let i = 0; i < 5; i++) if (bytes[start + i] !== EVENT_NAME[i]) return -1;
  if (end - start === 5) return end;
  if (bytes[start + 5] !== COLON) return -1;
  const value = start + 6;
  return value < end && bytes[value] === SPACE ? value + 1 : value;
}
