/**
 * fast-check generators for the SSE property tests: event sequences for round trips, "byte
 * soup" built from SSE tokens, BOMs, multi-byte and invalid UTF-8 for the decoder's edge
 * cases, and random chunkings of a byte array.
 */
import fc from 'fast-check';
import type { SseEvent } from '../../src/sse/index.js';

const utf8 = new TextEncoder();

/** One unit of text: any code point (astral included), SSE-significant characters, ASCII. */
const textUnit = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(':', ' ', '\uFEFF', '\0', 'é', '€', '日本', '😀', '𝄞', 'data', 'id'),
  },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 4 }) },
);

/** Text on one line: no CR or LF. */
export const singleLine = (maxLength = 12): fc.Arbitrary<string> =>
  fc.string({ unit: textUnit, maxLength }).map((s) => s.replace(/[\r\n]/g, '_'));

/** Text that may span lines (LF, CR and CRLF inside). */
export const multiLine = fc.string({
  unit: fc.oneof(
    { weight: 8, arbitrary: textUnit },
    { weight: 1, arbitrary: fc.constantFrom('\n', '\r', '\r\n') },
  ),
  maxLength: 30,
});

export const sseEvent: fc.Arbitrary<SseEvent> = fc.record({
  event: fc.option(singleLine(), { nil: undefined }),
  data: multiLine,
  id: fc.option(
    singleLine().map((s) => s.replace(/\0/g, '0')),
    { nil: undefined },
  ),
  retry: fc.option(fc.maxSafeNat(), { nil: undefined }),
});

export type StreamItem = { kind: 'event'; event: SseEvent } | { kind: 'comment'; text: string };

export const streamItems: fc.Arbitrary<StreamItem[]> = fc.array(
  fc.oneof(
    { weight: 4, arbitrary: sseEvent.map((event): StreamItem => ({ kind: 'event', event })) },
    { weight: 1, arbitrary: multiLine.map((text): StreamItem => ({ kind: 'comment', text })) },
  ),
  { maxLength: 12 },
);

/** Mostly non-ASCII text (CJK, accents, emoji), with line breaks: drives the dense path. */
const denseText = fc.string({
  unit: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('日本語', '中文', 'é', '😀', '€', 'ß', 'ñ', '𝄞') },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 3 }) },
    { weight: 1, arbitrary: fc.constantFrom('\n', '\r\n', '\r') },
  ),
  minLength: 1,
  maxLength: 25,
});

/** Long streams of many events, mostly non-ASCII, with some comments and CR line ends. */
export const denseStream: fc.Arbitrary<Uint8Array> = fc
  .array(
    fc.record({
      event: fc.constantFrom('content_block_delta', 'ping', 'événement', ''),
      data: denseText,
      crlf: fc.boolean(),
    }),
    { minLength: 20, maxLength: 120 },
  )
  .map((events) =>
    utf8.encode(
      events
        .map(({ event, data, crlf }) => {
          const nl = crlf ? '\r\n' : '\n';
          const lines = data.split(/\r\n|\r|\n/).map((line) => `data: ${line}${nl}`);
          return `${event === '' ? ': note' : `event: ${event}`}${nl}${lines.join('')}${nl}`;
        })
        .join(''),
    ),
  );

const tokenBytes = fc
  .constantFrom(
    'data',
    'data:',
    'data: ',
    'event:',
    'event',
    'id:',
    'id: ',
    'retry:',
    'retry: ',
    ':',
    ' ',
    '\n',
    '\r',
    '\r\n',
    '\n\n',
    '\r\r',
    '7',
    '42',
    'x',
    '\0',
    'é',
    '😀',
    '\uFEFF',
  )
  .map((s) => utf8.encode(s));

/** Arbitrary bytes shaped like a (possibly broken) event stream. */
export const byteSoup: fc.Arbitrary<Uint8Array> = fc
  .array(
    fc.oneof(
      { weight: 10, arbitrary: tokenBytes },
      { weight: 2, arbitrary: singleLine(6).map((s) => utf8.encode(s)) },
      // Invalid or truncated UTF-8: a lone continuation byte, 0xFF, cut 2/3/4-byte sequences.
      {
        weight: 1,
        arbitrary: fc
          .constantFrom([0x80], [0xff], [0xc3], [0xe2, 0x82], [0xf0, 0x9f, 0x98])
          .map((b) => new Uint8Array(b)),
      },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 3 }) },
    ),
    { maxLength: 60 },
  )
  .chain((parts) =>
    // Sometimes start with a BOM, the one place it is stripped.
    fc.boolean().map((bom) => concat(bom ? [new Uint8Array([0xef, 0xbb, 0xbf]), ...parts] : parts)),
  );

/** Few cuts, so chunks hold many lines (the paths that decode whole chunks). */
export const fewCuts: fc.Arbitrary<number[]> = fc.array(fc.nat(), { maxLength: 6 });

/** Cut points for `chunk()`: applied modulo the input length, so any input can use them. */
export const cuts: fc.Arbitrary<number[]> = fc.oneof(
  { weight: 5, arbitrary: fc.array(fc.nat(), { maxLength: 40 }) },
  // Every byte its own chunk.
  { weight: 1, arbitrary: fc.constant<number[]>([-1]) },
);

/** Splits `bytes` at `cuts` (see `cuts`); empty chunks are kept, decoders must accept them. */
export function chunk(bytes: Uint8Array, at: readonly number[]): Uint8Array[] {
  if (at.length === 1 && at[0] === -1) {
    return Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
  }
  const points = at.map((n) => n % (bytes.length + 1)).sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let prev = 0;
  for (const p of points) {
    chunks.push(bytes.subarray(prev, p));
    prev = p;
  }
  chunks.push(bytes.subarray(prev));
  return chunks;
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
