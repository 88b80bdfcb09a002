/**
 * Byte helpers shared by the SSE decoder and framer: the byte constants of the event-stream
 * grammar, fast byte search, and the two decodings the decoder needs.
 *
 * - `latin1` maps each byte to one UTF-16 code unit, so offsets in the text ARE byte offsets.
 *   The decoder finds lines and fields in that text (string `indexOf` is fast and slices are
 *   cheap) and uses it as the final value when the bytes are ASCII, where latin1 and UTF-8
 *   agree.
 * - `utf8` is the real decoding (invalid sequences become U+FFFD, no BOM stripping), used for
 *   any value that contains a byte >= 0x80.
 *
 * On Node, a chunk is viewed as a Buffer once (no copy): `Buffer#indexOf` is a memchr, 2-3x
 * faster than `Uint8Array#indexOf`, `latin1Slice`/`utf8Slice` beat `TextDecoder` on short
 * ranges, and `buffer.isAscii` checks a whole chunk with SIMD. Elsewhere the plain
 * Uint8Array/TextDecoder paths give the same results, slower.
 */

export const LF = 0x0a;
export const CR = 0x0d;
export const COLON = 0x3a;
export const SPACE = 0x20;

/** A chunk prepared for fast search and decoding; `bytes` is the same memory as the input. */
export interface ByteView {
  readonly bytes: Uint8Array;
  indexOf(byte: number, from: number): number;
  /** Last index of `byte` at or before `from` (default: the end), or -1. */
  lastIndexOf(byte: number, from?: number): number;
  /** Like `indexOf`, but looks only at `[from, to)`, so a search never runs past a known bound. */
  indexOfWithin(byte: number, from: number, to: number): number;
  /** `[start, end)` with one code unit per byte (code unit = byte value for bytes < 0x80). */
  latin1(start: number, end: number): string;
  /** `[start, end)` decoded as UTF-8: invalid sequences become U+FFFD, a BOM is kept. */
  utf8(start: number, end: number): string;
  /**
   * Same result as `utf8`, faster for long ranges of mostly non-ASCII text when the range
   * ends with an ASCII byte (a line end), as the decoder's ranges do.
   */
  utf8Long(start: number, end: number): string;
  /** Whether every byte in the view is < 0x80 (`undefined` when no fast check exists). */
  isAscii(): boolean | undefined;
}

interface NodeBuffer extends Uint8Array {
  utf8Slice(start: number, end: number): string;
  latin1Slice(start: number, end: number): string;
}

interface NodeBufferConstructor {
  from(arrayBuffer: ArrayBufferLike, byteOffset: number, length: number): NodeBuffer;
  isBuffer(value: unknown): value is NodeBuffer;
}

interface NodeBufferModule {
  Buffer: NodeBufferConstructor;
  isAscii?: (input: Uint8Array) => boolean;
}

function findNodeBuffer(): NodeBufferModule | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const mod = proc?.getBuiltinModule?.('node:buffer') as Partial<NodeBufferModule> | undefined;
  const ctor: unknown = mod?.Buffer;
  if (typeof ctor !== 'function') return undefined;
  const proto = (ctor as { prototype?: Record<string, unknown> }).prototype;
  // Stryker disable next-line BlockStatement: a Buffer without these methods (not Node's, where the tests run)
  if (typeof proto?.utf8Slice !== 'function' || typeof proto.latin1Slice !== 'function') {
    return undefined;
  }
  return mod as NodeBufferModule;
}

const nodeBuffer = findNodeBuffer();
const nodeIsAscii = nodeBuffer?.isAscii;

// ignoreBOM: a BOM is stripped only at the very start of the stream, and the decoder does
// that itself; a U+FEFF at the start of any later line is content and must survive.
const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true });
// Node's streaming TextDecoder path decodes CJK-heavy text about twice as fast as its
// one-shot path or Buffer#utf8Slice (measured on Node 20). Used only on ranges that end with
// an ASCII byte, it never carries a partial character from one call to the next.
const streamingUtf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true });
const STREAM = { stream: true } as const;
// WHATWG "latin1" is windows-1252, which still maps every byte to exactly one code unit and
// bytes < 0x80 to themselves: all the decoder relies on.
const latin1Decoder = new TextDecoder('latin1');

function utf8Long(bytes: Uint8Array, start: number, end: number, view: ByteView): string {
  // After an ASCII byte the streaming decoder holds no partial character, so nothing can
  // leak into the next call; any other range takes the one-shot path.
  if (end <= start || bytes[end - 1]! >= 0x80) return view.utf8(start, end);
  return streamingUtf8Decoder.decode(bytes.subarray(start, end), STREAM);
}

class PlainView implements ByteView {
  constructor(readonly bytes: Uint8Array) {}
  indexOf(byte: number, from: number): number {
    return this.bytes.indexOf(byte, from);
  }
  indexOfWithin(byte: number, from: number, to: number): number {
    const found = this.bytes.subarray(from, to).indexOf(byte);
    return found === -1 ? -1 : from + found;
  }
  // Stryker disable next-line ArithmeticOperator: a start past the end is clamped to the end, the same search
  lastIndexOf(byte: number, from = this.bytes.length - 1): number {
    // A negative start would count from the end.
    return from < 0 ? -1 : this.bytes.lastIndexOf(byte, from);
  }
  latin1(start: number, end: number): string {
    return latin1Decoder.decode(this.bytes.subarray(start, end));
  }
  utf8(start: number, end: number): string {
    return utf8Decoder.decode(this.bytes.subarray(start, end));
  }
  utf8Long(start: number, end: number): string {
    return utf8Long(this.bytes, start, end, this);
  }
  // Stryker disable next-line BlockStatement: an empty body returns undefined as well
  isAscii(): boolean | undefined {
    return undefined;
  }
}

/** Node's Buffer: the same searches, with its faster latin1/utf8 slicing and ASCII check. */
class BufferView extends PlainView {
  constructor(override readonly bytes: NodeBuffer) {
    super(bytes);
  }
  override latin1(start: number, end: number): string {
    return this.bytes.latin1Slice(start, end);
  }
  override utf8(start: number, end: number): string {
    return this.bytes.utf8Slice(start, end);
  }
  override isAscii(): boolean | undefined {
    // Stryker disable next-line OptionalChaining: the fallback for Node versions without buffer.isAscii (tests run on one that has it)
    return nodeIsAscii?.(this.bytes);
  }
}

/**
 * The portable view (Uint8Array and TextDecoder only), what runtimes without Node's Buffer
 * get from `viewOf`. Exported so tests can check it gives the same answers.
 */
export function plainViewOf(chunk: Uint8Array): ByteView {
  return new PlainView(chunk);
}

/** Wraps a chunk for searching and decoding without copying it. */
export function viewOf(chunk: Uint8Array): ByteView {
  // Stryker disable next-line ConditionalExpression: the portable view for runtimes without Node's Buffer (tests run on Node)
  if (nodeBuffer === undefined) return new PlainView(chunk);
  const { Buffer } = nodeBuffer;
  // Stryker disable next-line ConditionalExpression: speed only: a Buffer viewed again through Buffer.from is the same memory
  if (Buffer.isBuffer(chunk)) return new BufferView(chunk);
  return new BufferView(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
}

/** Decodes a whole byte array as UTF-8 (no BOM stripping). */
export function decodeUtf8(bytes: Uint8Array): string {
  return viewOf(bytes).utf8(0, bytes.length);
}

/** Joins fragments into one array with a single copy. */
export function joinBytes(parts: readonly Uint8Array[], totalLength: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(totalLength);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * Index of the first byte >= 0x80 in `bytes` at or after `from`, or `bytes.length`. Reads
 * four bytes at a time through a Uint32Array view (4x fewer steps than a byte loop, and
 * faster than a regular expression over the text); the high bit of each byte is tested with
 * one mask, whatever the platform's byte order.
 */
export function nextNonAscii(bytes: Uint8Array, from: number): number {
  const end = bytes.length;
  const base = bytes.byteOffset;
  let i = from;
  while (i < end && ((base + i) & 3) !== 0) {
    if (bytes[i]! >= 0x80) return i;
    i++;
  }
  if (i >= end) return end;
  const words = new Uint32Array(bytes.buffer, base + i, (end - i) >>> 2);
  const count = words.length;
  let w = 0;
  while (w < count && (words[w]! & 0x80808080) === 0) w++;
  i += w * 4;
  while (i < end) {
    if (bytes[i]! >= 0x80) return i;
    i++;
  }
  return end;
}

export const BOM_0 = 0xef;
export const BOM_1 = 0xbb;
export const BOM_2 = 0xbf;

/**
 * Bytes of the UTF-8 BOM (EF BB BF) at `start` of the latin1 text of a line ending at `end`:
 * 3 when there is one, else 0. The spec strips it once, at the start of the stream.
 */
export function bomLength(text: string, start: number, end: number): number {
  return end - start >= 3 &&
    text.charCodeAt(start) === BOM_0 &&
    text.charCodeAt(start + 1) === BOM_1 &&
    text.charCodeAt(start + 2) === BOM_2
    ? 3
    : 0;
}
