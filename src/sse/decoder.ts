/**
 * SSE decoder: bytes of a `text/event-stream` body -> dispatched events, following WHATWG HTML
 * "Interpreting an event stream"
 * (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation).
 *
 * Any chunking of the same bytes gives the same events: a CR ending one chunk and an LF
 * starting the next are one line end, and a UTF-8 character split across chunks is decoded
 * whole, because UTF-8 decoding only ever happens on the bytes of complete lines (line ends
 * are ASCII, so a line never ends inside a character).
 *
 * How it is fast and linear:
 * - Each chunk is read once as latin1 text (one code unit per byte, so text offsets are byte
 *   offsets). Line ends and field names are found in that text with string `indexOf`, and a
 *   value is a cheap slice of it when its bytes are ASCII (then latin1 and UTF-8 agree). Only
 *   a value with a byte >= 0x80 is decoded as UTF-8, from its bytes. Decoding line by line
 *   with TextDecoder instead costs a native call per line, which for an Anthropic stream of
 *   small deltas is slower than eventsource-parser; a streaming TextDecoder per chunk (what
 *   eventsource-parser needs) costs more than latin1 + a SIMD ASCII check.
 * - A line that spans chunks is kept as a list of fragments and joined once when its end
 *   arrives; concatenating per chunk would be O(n^2) for one long line in small chunks. A long
 *   ASCII `data:` line is even left as a V8 rope of its fragments: no large copy here, and
 *   large fresh allocations are what a multi-100 KB tool-input delta would otherwise cost.
 * - Text dense with non-ASCII (a Japanese answer, say) would pay one decode call per line;
 *   once a chunk shows that, the decoder switches to one UTF-8 decode per chunk (see
 *   `#parseDecoded`) until the text turns mostly ASCII again.
 * - Event size is counted in bytes, exactly: from byte offsets, or on the dense path from the
 *   region's byte length (see `#parseDecoded`).
 */
import {
  type ByteView,
  bomLength,
  CR,
  decodeUtf8,
  joinBytes,
  LF,
  nextNonAscii,
  viewOf,
} from './bytes.js';
import { stopped } from './errors.js';
import { EventInterpreter, isDataField, valueStart } from './interpret.js';
import type { SseEvent } from './types.js';

/** 16 MiB: far above any real Anthropic event (tool inputs arrive as many small deltas). */
export const DEFAULT_MAX_EVENT_SIZE = 16 * 1024 * 1024;

/** Options of `SseDecoder`. */
export interface SseDecoderOptions {
  /**
   * Largest event accepted, in bytes of its lines (line ends not counted, comment lines
   * included). Past it, `push()` throws an `SseError` of type `event-too-large`.
   */
  maxEventSize?: number;
  /** Called for each comment line (`:text`), with the text after the colon and one space. */
  onComment?: (comment: string) => void;
  /** Called for each valid `retry:` field, whether or not its event is dispatched. */
  onRetry?: (milliseconds: number) => void;
}

// The UTF-8 BOM decoded (U+FEFF); as bytes it is found by `bomLength`.
const BOM_CHAR = 0xfeff;
/** Chars enough to classify a line: "event:" or "retry:" plus a space and one more. */
const HEAD = 8;
/**
 * Up to this many fragments a long ASCII data line stays a rope; past it the fragments are
 * joined, since a very deep rope is slow to flatten later and chunks that small are rare.
 */
const MAX_ROPE_PARTS = 256;
/**
 * A chunk switches to one UTF-8 decode for all its lines once this many of its lines, and
 * over a quarter of them, had non-ASCII bytes: past that, per-line decode calls cost more.
 */
const DENSE_MIN_LINES = 16;

/**
 * Incremental decoder. `push()` each chunk as it arrives and use the events it returns;
 * call `end()` when the body ends. Pushed chunks are kept by reference while a line spans
 * them, so do not reuse a chunk's memory after pushing it (Node streams never do).
 */
export class SseDecoder {
  readonly maxEventSize: number;
  readonly #events: EventInterpreter;

  // The line in progress, from earlier chunks: its bytes and the same as latin1 text.
  #fragments: Uint8Array[] = [];
  #texts: string[] = [];
  #fragmentsLength = 0;
  // Stryker disable next-line BooleanLiteral: speed only: a split line known ASCII is sliced, else decoded; same text for ASCII
  #fragmentsAscii = true;
  // The chunk being parsed, and the first byte >= 0x80 at or after the current line's start
  // in it (its length if none): a line with such a byte has its values decoded as UTF-8.
  #view: ByteView | undefined = undefined;
  #nextHigh = 0;
  // The last chunks were dense with non-ASCII lines: decode whole chunks, not line by line.
  // Stryker disable next-line BooleanLiteral: speed only: which of two exact paths runs, same events and sizes
  #preferDecoded = false;

  // The previous chunk ended with CR: an LF first in the next chunk is the same line end.
  #pendingCR = false;
  // The next completed line is the stream's first, where a BOM is stripped.
  #atStreamStart = true;

  #bytesScanned = 0;

  constructor(options: SseDecoderOptions = {}) {
    this.maxEventSize = options.maxEventSize ?? DEFAULT_MAX_EVENT_SIZE;
    this.#events = new EventInterpreter({
      maxEventSize: this.maxEventSize,
      onComment: options.onComment,
      onRetry: options.onRetry,
    });
  }

  /** The spec's "last event ID": the latest valid `id:` field, kept across events. */
  get lastEventId(): string {
    return this.#events.lastEventId;
  }

  /** Bytes of the incomplete event held right now (what a drop at this point would lose). */
  get bufferedBytes(): number {
    return this.#events.eventBytes + this.#fragmentsLength;
  }

  /**
   * Work counter for tests: bytes examined while searching for line ends. However the input
   * is chunked, it stays within twice the input for ASCII text and four times for text dense
   * with non-ASCII (whose lines are also searched once decoded).
   */
  get bytesScanned(): number {
    return this.#bytesScanned;
  }

  /**
   * Decodes one chunk and returns the events it completed. Throws `SseError`
   * (`event-too-large`) when an event exceeds `maxEventSize`; the error's `completed` holds
   * the events this call finished before that.
   */
  push(chunk: Uint8Array): SseEvent[] {
    const events = this.#events;
    if (events.failure !== undefined) throw stopped('SseDecoder', events.failure);
    const out: SseEvent[] = [];
    events.out = out;
    if (chunk.length > 0) {
      this.#feed(chunk);
      this.#view = undefined;
      events.view = undefined;
    }
    return out;
  }

  /**
   * Ends the stream. Per the spec an event without its blank line is discarded, so this
   * returns no events; it resets the decoder so it can decode another stream (the last
   * event id is kept, as it is across EventSource reconnections).
   */
  end(): SseEvent[] {
    if (this.#events.failure !== undefined) throw stopped('SseDecoder', this.#events.failure);
    this.#clearFragments();
    this.#pendingCR = false;
    this.#atStreamStart = true;
    this.#events.reset();
    return [];
  }

  /** Decodes a whole stream given as chunks: every chunk pushed, then `end()`. */
  decodeAll(chunks: Iterable<Uint8Array>): SseEvent[] {
    const events: SseEvent[] = [];
    for (const chunk of chunks) {
      for (const event of this.push(chunk)) events.push(event);
    }
    this.end();
    return events;
  }

  #feed(chunk: Uint8Array): void {
    const view = viewOf(chunk);
    const len = chunk.length;
    // Stryker disable next-line all: the right side is the fallback for runtimes without buffer.isAscii (Node has it, so tests never run it); `&&` for `??` gives the same
    const ascii = view.isAscii() ?? nextNonAscii(chunk, 0) === len;
    this.#view = view;
    this.#events.view = view;
    // -1: not looked for yet.
    this.#nextHigh = ascii ? len : -1;

    let pos = 0;
    if (this.#pendingCR) {
      this.#pendingCR = false;
      if (chunk[0] === LF) pos = 1;
    }
    // Stryker disable next-line all: speed only: which of two exact paths runs, same events and sizes
    if (!ascii && this.#preferDecoded) {
      this.#feedDense(view, pos);
      return;
    }
    const text = view.latin1(0, len);

    // Line ends are ASCII, so they are found in the latin1 text at their byte offsets. Each
    // search resumes past the previous find, so a byte is examined at most once for CR and
    // once for LF: linear however the input is chunked.
    let cr = text.indexOf('\r', pos);
    this.#bytesScanned += (cr === -1 ? len : cr + 1) - pos;
    let lf = text.indexOf('\n', pos);
    this.#bytesScanned += (lf === -1 ? len : lf + 1) - pos;

    if (this.#fragmentsLength > 0) {
      // A line began in an earlier chunk: its end is the first line end here.
      const end = cr !== -1 && (lf === -1 || cr < lf) ? cr : lf;
      if (end === -1) {
        this.#keepFragment(view, text, pos);
        return;
      }
      this.#finishSplitLine(view, text, pos, end);
      pos = this.#afterLineEnd(view.bytes, end);
      if (cr !== -1 && cr < pos) {
        cr = text.indexOf('\r', pos);
        this.#bytesScanned += (cr === -1 ? len : cr + 1) - pos;
      }
      if (lf !== -1 && lf < pos) {
        lf = text.indexOf('\n', pos);
        this.#bytesScanned += (lf === -1 ? len : lf + 1) - pos;
      }
    }
    this.#parseLines(view, text, pos, cr, lf);
  }

  /** Parses the complete lines of the chunk from `pos` and keeps the incomplete tail. */
  #parseLines(view: ByteView, text: string, pos: number, cr: number, lf: number): void {
    const len = text.length;
    let start = pos;
    let lines = 0;
    let highLines = 0;
    if (cr === -1) {
      // The usual case: lines end with LF only.
      while (lf !== -1) {
        this.#line(text, start, lf);
        start = lf + 1;
        // Stryker disable next-line UpdateOperator: a line count for the speed heuristics only
        lines++;
        // Stryker disable all: speed only: switching to the whole-chunk path gives the same events
        if (this.#events.lineHigh && ++highLines >= DENSE_MIN_LINES && highLines * 4 > lines) {
          // Mostly non-ASCII text (say CJK): one UTF-8 decode for the rest of the chunk, and
          // the chunks after it, beats one decode call per line.
          this.#preferDecoded = true;
          this.#parseDecoded(view, start);
          return;
        }
        // Stryker restore all
        // An event's last line is followed by its blank line: dispatch right away rather
        // than go round the loop for an empty line (a third of all lines in a typical stream).
        // Stryker disable next-line ConditionalExpression,BlockStatement: speed only: without the shortcut the blank line goes round the loop and dispatches the same
        if (text.charCodeAt(start) === LF) {
          this.#events.dispatch();
          start++;
          // Stryker disable next-line UpdateOperator: a line count for the speed heuristics only
          lines++;
          this.#bytesScanned++;
        }
        lf = text.indexOf('\n', start);
        this.#bytesScanned += (lf === -1 ? len : lf + 1) - start;
      }
    } else {
      for (;;) {
        // Stryker disable next-line EqualityOperator: `cr <= lf`: a byte is never both CR and LF
        const end = cr !== -1 && (lf === -1 || cr < lf) ? cr : lf;
        if (end === -1) break;
        this.#line(text, start, end);
        // Stryker disable next-line ConditionalExpression: speed only: #afterLineEnd of an LF is end + 1 too
        start = end === lf ? end + 1 : this.#afterLineEnd(view.bytes, end);
        // Stryker disable next-line UpdateOperator: a line count for the speed heuristics only
        lines++;
        // Stryker disable all: speed only: switching to the whole-chunk path gives the same events
        if (this.#events.lineHigh && ++highLines >= DENSE_MIN_LINES && highLines * 4 > lines) {
          // Mostly non-ASCII text (say CJK): one UTF-8 decode for the rest of the chunk, and
          // the chunks after it, beats one decode call per line.
          this.#preferDecoded = true;
          this.#parseDecoded(view, start);
          return;
        }
        // Stryker restore all
        // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator: speed only: a find at or after `start` is found again by a search from `start`
        if (cr !== -1 && cr < start) {
          cr = text.indexOf('\r', start);
          this.#bytesScanned += (cr === -1 ? len : cr + 1) - start;
        }
        // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator: speed only: a find at or after `start` is found again by a search from `start`
        if (lf !== -1 && lf < start) {
          lf = text.indexOf('\n', start);
          this.#bytesScanned += (lf === -1 ? len : lf + 1) - start;
        }
      }
    }
    // Stryker disable next-line all: speed only: which of two exact paths runs, same events and sizes
    if (lines >= DENSE_MIN_LINES) this.#preferDecoded = false;
    this.#keepFragment(view, text, start);
  }

  /**
   * A chunk of a stream dense with non-ASCII text: no latin1 text for the whole chunk (its
   * lines are decoded as UTF-8 anyway), line ends found in the bytes.
   */
  #feedDense(view: ByteView, pos: number): void {
    const len = view.bytes.length;
    if (this.#fragmentsLength > 0) {
      const lf = view.indexOf(LF, pos);
      // A CR matters only before the LF, so the CR search stops there.
      const cr = view.indexOfWithin(CR, pos, lf === -1 ? len : lf);
      this.#bytesScanned += (lf === -1 ? len : lf + 1) - pos;
      this.#bytesScanned += (cr === -1 ? (lf === -1 ? len : lf) : cr + 1) - pos;
      const end = cr !== -1 ? cr : lf;
      if (end === -1) {
        this.#keepFragment(view, undefined, pos);
        return;
      }
      this.#finishSplitLine(view, undefined, pos, end);
      pos = this.#afterLineEnd(view.bytes, end);
    }
    // Stryker disable next-line ConditionalExpression,EqualityOperator: speed only: from the chunk's end #parseDecoded finds no line and keeps nothing
    if (pos < len) this.#parseDecoded(view, pos);
  }

  /**
   * Parses the rest of a chunk dense with non-ASCII text, from `pos`. Its complete lines are
   * decoded as UTF-8 in one call (the region ends at a line end, so no character is cut) and
   * parsed in the decoded text. Line sizes are not needed one by one: the region has
   * `lastEnd + 1 - pos` bytes, so if the event in progress plus all of them fits the limit,
   * no event can pass it here, and only the bytes of the lines of the event still open at the
   * end are counted, by walking back over them in the latin1 text. Otherwise the exact
   * line-by-line walk runs.
   */
  #parseDecoded(view: ByteView, pos: number): void {
    const len = view.bytes.length;
    // The last line ends bound the decoded region; searching backwards from the end only
    // examines the incomplete tail, which no forward search looks at (or, for a byte absent
    // from the chunk, the chunk once).
    const lastLF = view.lastIndexOf(LF);
    const lastCR = view.lastIndexOf(CR);
    this.#bytesScanned += 2 * len - lastLF - lastCR - 2;
    const lastEnd = Math.max(lastLF, lastCR);
    // Stryker disable next-line ConditionalExpression,BlockStatement: speed only: with no line end after pos, lastEnd + 1 is pos and the walk below decodes nothing
    if (lastEnd < pos) {
      this.#keepFragment(view, undefined, pos);
      return;
    }
    // Stryker disable next-line ConditionalExpression: a CR before pos is never nearer a line than the line end just before pos
    const hasCR = lastCR >= pos;
    if (this.#events.eventBytes + (lastEnd + 1 - pos) > this.maxEventSize) {
      // Stryker disable next-line UnaryOperator: without a CR after pos the exact walk's CR search from pos finds none either way
      this.#parseDecodedExact(view, pos, hasCR ? lastCR : -1, lastLF);
      return;
    }
    const decoded = view.utf8Long(pos, lastEnd + 1);
    const n = decoded.length;
    this.#events.lineHigh = false;
    let dcr = hasCR ? decoded.indexOf('\r') : -1;
    this.#bytesScanned += dcr === -1 ? (hasCR ? n : 0) : dcr + 1;
    let dlf = decoded.indexOf('\n');
    this.#bytesScanned += dlf === -1 ? n : dlf + 1;
    let start = 0;
    // Lines of the event still open, since the last blank line in this region.
    let openLines = 0;
    let lines = 0;
    for (;;) {
      // Stryker disable next-line EqualityOperator: `dcr <= dlf`: a character is never both CR and LF
      const end = dcr !== -1 && (dlf === -1 || dcr < dlf) ? dcr : dlf;
      if (end === -1) break;
      let lineStart = start;
      if (this.#atStreamStart) {
        this.#atStreamStart = false;
        if (decoded.charCodeAt(lineStart) === BOM_CHAR) lineStart++;
      }
      this.#events.line(decoded, lineStart, end);
      openLines = lineStart === end ? 0 : openLines + 1;
      // Stryker disable next-line UpdateOperator: a line count for the speed heuristics only
      lines++;
      start = end + 1;
      if (end === dcr) {
        if (decoded.charCodeAt(start) === LF) start++;
        // Stryker disable next-line all: speed only: without the shortcut the blank line goes round the loop and dispatches the same
      } else if (dcr === -1 && decoded.charCodeAt(start) === LF) {
        // LF-only text: the blank line after an event's last line, dispatched right away.
        this.#events.dispatch();
        openLines = 0;
        // Stryker disable next-line UpdateOperator: a line count for the speed heuristics only
        lines++;
        start++;
        this.#bytesScanned++;
      }
      // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator: speed only: a find at or after `start` is found again by a search from `start`
      if (dcr !== -1 && dcr < start) {
        dcr = decoded.indexOf('\r', start);
        this.#bytesScanned += (dcr === -1 ? n : dcr + 1) - start;
      }
      // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator: speed only: a find at or after `start` is found again by a search from `start`
      if (dlf !== -1 && dlf < start) {
        dlf = decoded.indexOf('\n', start);
        this.#bytesScanned += (dlf === -1 ? n : dlf + 1) - start;
      }
    }
    // Stryker disable next-line ConditionalExpression,EqualityOperator: no open lines count 0 bytes
    if (openLines > 0) {
      this.#events.eventBytes += this.#bytesOfLastLines(view, pos, lastEnd, openLines, hasCR);
    }
    if (lastEnd === len - 1 && lastEnd === lastCR) this.#pendingCR = true;
    // Stay on this path while the text stays dense: at least one byte per four lines beyond
    // one byte per code unit (a multi-byte character adds one to three). Sparser text goes
    // back to ASCII slices with per-line decoding.
    // Stryker disable next-line all: speed only: which of two exact paths runs, same events and sizes
    if (lines >= DENSE_MIN_LINES) this.#preferDecoded = (lastEnd + 1 - pos - n) * 4 > lines;
    this.#keepFragment(view, undefined, lastEnd + 1);
  }

  /**
   * Bytes (line ends excluded) of the last `count` lines of `[pos, lastEnd]`, where
   * `lastEnd` is the last character of a line end. Walks backwards; each search resumes
   * below the previous find, so it examines each byte at most once per line-end character.
   */
  #bytesOfLastLines(
    view: ByteView,
    pos: number,
    lastEnd: number,
    count: number,
    hasCR: boolean,
  ): number {
    let total = 0;
    let p = lastEnd;
    let prevLF = p + 1;
    // Without any CR in the region there is nothing to search for.
    let prevCR = hasCR ? p + 1 : -1;
    const bytes = view.bytes;
    for (let i = 0; i < count; i++) {
      const termStart = bytes[p] === LF && p > pos && bytes[p - 1] === CR ? p - 1 : p;
      // The nearest line-end characters before this line's end, searched only when the
      // previous find is no longer below it.
      // Stryker disable next-line ConditionalExpression: speed only: a find at or after `start` is found again by a search from `start`
      if (prevLF >= termStart) {
        prevLF = view.lastIndexOf(LF, termStart - 1);
        this.#bytesScanned += termStart - Math.max(prevLF, pos);
      }
      // Stryker disable next-line ConditionalExpression: speed only: a find at or after `start` is found again by a search from `start`
      if (prevCR >= termStart) {
        prevCR = view.lastIndexOf(CR, termStart - 1);
        this.#bytesScanned += termStart - Math.max(prevCR, pos);
      }
      const before = Math.max(prevLF, prevCR);
      // Stryker disable next-line all: pos always follows a line end or is the chunk start, so before + 1 is pos when before < pos
      const lineStart = before < pos ? pos : before + 1;
      total += termStart - lineStart;
      p = before;
    }
    return total;
  }

  /**
   * Parses the complete lines of a chunk dense with non-ASCII text, `[pos, lastEnd]`, with
   * exact sizes for every line: the decoded text is walked in step with the bytes (line ends
   * come in the same order in both).
   */
  #parseDecodedExact(view: ByteView, pos: number, lastCR: number, lastLF: number): void {
    const lastEnd = Math.max(lastLF, lastCR);
    let cr = lastCR === -1 ? -1 : view.indexOf(CR, pos);
    let lf = lastLF < pos ? -1 : view.indexOf(LF, pos);
    this.#bytesScanned += (cr === -1 ? 0 : cr + 1 - pos) + (lf === -1 ? 0 : lf + 1 - pos);
    const decoded = view.utf8Long(pos, lastEnd + 1);
    this.#events.lineHigh = false;
    let start = pos;
    let decodedStart = 0;
    let lines = 0;
    let highLines = 0;
    for (;;) {
      const end = cr !== -1 && (lf === -1 || cr < lf) ? cr : lf;
      if (end === -1) break;
      const decodedEnd = decoded.indexOf(end === cr ? '\r' : '\n', decodedStart);
      this.#bytesScanned += decodedEnd - decodedStart + 1;
      const byteLength = end - start;
      this.#events.count(byteLength);
      let lineStart = decodedStart;
      if (this.#atStreamStart) {
        this.#atStreamStart = false;
        if (decoded.charCodeAt(lineStart) === BOM_CHAR) lineStart++;
      }
      this.#events.line(decoded, lineStart, decodedEnd);
      // Stryker disable next-line UpdateOperator: a line count for the speed heuristics only
      lines++;
      // Stryker disable next-line all: a count for the speed heuristics only
      if (decodedEnd - decodedStart !== byteLength) highLines++;
      const next = this.#afterLineEnd(view.bytes, end);
      // CR, LF or CRLF: the same code units in both texts.
      decodedStart = decodedEnd + (next - end);
      start = next;
      // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator: speed only: a find at or after `start` is found again by a search from `start`
      if (cr !== -1 && cr < start) {
        // Stryker disable next-line all: speed only: past the last CR the search finds none
        cr = start > lastCR ? -1 : view.indexOf(CR, start);
        // Stryker disable next-line all: guards the bytesScanned work counter only (see stryker-ignorers.mjs)
        if (cr !== -1) this.#bytesScanned += cr - start + 1;
      }
      // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator: speed only: a find at or after `start` is found again by a search from `start`
      if (lf !== -1 && lf < start) {
        // Stryker disable next-line all: speed only: past the last LF the search finds none
        lf = start > lastLF ? -1 : view.indexOf(LF, start);
        // Stryker disable next-line all: guards the bytesScanned work counter only (see stryker-ignorers.mjs)
        if (lf !== -1) this.#bytesScanned += lf - start + 1;
      }
    }
    // Stryker disable next-line all: speed only: which of two exact paths runs, same events and sizes
    if (lines >= DENSE_MIN_LINES) this.#preferDecoded = highLines * 4 > lines;
    this.#keepFragment(view, undefined, start);
  }

  /** Where the next line starts after the line end at `end`; notes a CR ending the chunk. */
  #afterLineEnd(bytes: Uint8Array, end: number): number {
    const next = end + 1;
    if (bytes[end] !== CR) return next;
    if (next === bytes.length) {
      this.#pendingCR = true;
      return next;
    }
    return bytes[next] === LF ? next + 1 : next;
  }

  /** Keeps `[from, end of chunk)`, a line without its end yet, as a fragment. */
  #keepFragment(view: ByteView, text: string | undefined, from: number): void {
    const len = view.bytes.length;
    if (from >= len) return;
    this.#fragments.push(view.bytes.subarray(from));
    this.#texts.push(
      text === undefined ? view.latin1(from, len) : from === 0 ? text : text.slice(from),
    );
    this.#fragmentsLength += len - from;
    // Stryker disable next-line all: speed only: marking fragments non-ASCII only makes the line decoded as UTF-8, the same text
    if (this.#fragmentsAscii && this.#highFrom(from) < len) this.#fragmentsAscii = false;
    const size = this.#events.eventBytes + this.#fragmentsLength;
    if (size > this.maxEventSize) this.#events.fail(size);
  }

  #clearFragments(): void {
    this.#fragments = [];
    this.#texts = [];
    this.#fragmentsLength = 0;
    // Stryker disable next-line BooleanLiteral: speed only: a split line known ASCII is sliced, else decoded; same text for ASCII
    this.#fragmentsAscii = true;
  }

  /** The line made of the fragments plus `text[pos, end)` is complete: parse it. */
  #finishSplitLine(view: ByteView, text: string | undefined, pos: number, end: number): void {
    const length = this.#fragmentsLength + end - pos;
    // Stryker disable next-line all: speed only: a line taken as non-ASCII is decoded as UTF-8, the same text
    const ascii = this.#fragmentsAscii && this.#highFrom(pos) >= end;
    const texts = this.#texts;
    const fragments = this.#fragments;
    this.#clearFragments();
    if (end > pos) {
      texts.push(text === undefined ? view.latin1(pos, end) : text.slice(pos, end));
      fragments.push(view.bytes.subarray(pos, end));
    }
    if (!ascii) {
      // Decode the whole line's bytes at once, so characters split across chunks come out
      // whole.
      const line = decodeUtf8(joinBytes(fragments, length));
      this.#events.count(length);
      let start = 0;
      if (this.#atStreamStart) {
        this.#atStreamStart = false;
        if (line.charCodeAt(0) === BOM_CHAR) start = 1;
      }
      this.#events.lineHigh = false;
      this.#events.line(line, start, line.length);
      return;
    }
    this.#events.count(length);
    // ASCII, so no BOM can open it.
    this.#atStreamStart = false;
    // Make the first part long enough to hold the field name, colon and space.
    let first = texts[0]!;
    let next = 1;
    // Stryker disable next-line all: speed only: how many fragments make the head; the value is the same
    while (first.length < HEAD && next < texts.length) first += texts[next++];
    // Stryker disable next-line EqualityOperator,ArithmeticOperator: speed only: a rope or a joined string, the same value
    if (isDataField(first, 0) && texts.length - next < MAX_ROPE_PARTS) {
      let value = first.slice(valueStart(first, 5, first.length));
      while (next < texts.length) value += texts[next++];
      this.#events.appendData(value);
      return;
    }
    // Stryker disable next-line ConditionalExpression: speed only: joining no parts gives first
    const line = next === texts.length ? first : first + texts.slice(next).join('');
    this.#events.lineHigh = false;
    this.#events.line(line, 0, line.length);
  }

  /** The first byte >= 0x80 at or after `from` in the current chunk (its length if none). */
  #highFrom(from: number): number {
    // Stryker disable next-line all: speed only: a stale or fresh position only decides slice or UTF-8 decode, the same text (a position below from means decode)
    if (this.#nextHigh < from) this.#nextHigh = nextNonAscii(this.#view!.bytes, from);
    return this.#nextHigh;
  }

  /** A complete line `text[start, end)` of the current chunk (latin1, offsets are bytes). */
  #line(text: string, start: number, end: number): void {
    this.#events.count(end - start);
    if (this.#atStreamStart) {
      this.#atStreamStart = false;
      start += bomLength(text, start, end);
    }
    // Stryker disable next-line EqualityOperator: speed only: an ASCII line taken as high is decoded as UTF-8, the same text
    this.#events.lineHigh = this.#highFrom(start) < end;
    this.#events.line(text, start, end);
  }
}
