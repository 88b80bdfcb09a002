/**
 * The event size limit on the decoder's whole-chunk path: a chunk whose complete lines all fit
 * the limit is decoded in one call, and only the lines of the event still open at its end are
 * counted. Those lines must count, whatever the line ends, or an event spread over chunks could
 * grow past the limit. Also the byte-order mark on that path.
 */
import { describe, expect, it } from 'vitest';
import { SseDecoder, SseError, type SseEvent } from '../../src/sse/index.js';
import { bytes, decode, ev } from './helpers.js';

/**
 * Pushes a prelude of 16 events of non-ASCII text (which puts the decoder on its whole-chunk
 * path for non-ASCII chunks), then each part; the events after the prelude's, and the error if
 * the limit stopped the stream.
 */
function run(parts: string[], maxEventSize: number, nl = '\n') {
  const decoder = new SseDecoder({ maxEventSize });
  const prelude = decoder.push(bytes(`data: é${nl}${nl}`.repeat(16)));
  expect(prelude).toHaveLength(16);
  const events: SseEvent[] = [];
  try {
    for (const part of parts) events.push(...decoder.push(bytes(part)));
    decoder.end();
    return { events, error: undefined };
  } catch (error) {
    if (!(error instanceof SseError)) throw error;
    return { events: [...events, ...error.completed], error };
  }
}

const endings = [
  ['LF', '\n'],
  ['CRLF', '\r\n'],
  ['CR', '\r'],
] as const;

describe.each(endings)('an event still open at the end of a non-ASCII chunk (%s)', (_name, nl) => {
  const e20 = 'é'.repeat(20);
  // 10 + 46 = 56 bytes of lines ("é" is two bytes; line ends are not counted), open when the
  // chunk ends.
  const first = `event: big${nl}data: ${e20}${nl}`;
  const second = (n: number) => `data: ${'b'.repeat(n)}${nl}${nl}`;

  it('counts toward the limit: an event of exactly the limit passes', () => {
    const { events, error } = run([first, second(38)], 100, nl);
    expect(error).toBeUndefined();
    expect(events).toStrictEqual([ev(`${e20}\n${'b'.repeat(38)}`, { event: 'big' })]);
  });

  it('counts toward the limit: one byte more fails, with the size at that point', () => {
    const { events, error } = run([first, second(39)], 100, nl);
    expect(events).toStrictEqual([]);
    expect(error).toMatchObject({ type: 'event-too-large', limit: 100, size: 101 });
  });

  it('counts toward the limit when the rest of the event is non-ASCII too', () => {
    // 56 + 6 + 38 = 100 bytes.
    const rest = (n: number) => `data: ${'ü'.repeat(n)}b${nl}${nl}`;
    expect(run([first, rest(18)], 100, nl).error).toBeUndefined();
    expect(run([first, rest(19)], 100, nl).error).toMatchObject({ type: 'event-too-large' });
  });

  it('counts only the lines after the last blank line of the chunk', () => {
    // The first event ends inside the chunk; the open one has 6 + 50 = 56 bytes.
    const chunk = `data: ü${nl}${nl}data: ${'é'.repeat(25)}${nl}`;
    const ok = run([chunk, second(38)], 100, nl);
    expect(ok.error).toBeUndefined();
    expect(ok.events).toStrictEqual([ev('ü'), ev(`${'é'.repeat(25)}\n${'b'.repeat(38)}`)]);
    const over = run([chunk, second(39)], 100, nl);
    expect(over.events).toStrictEqual([ev('ü')]);
    expect(over.error).toMatchObject({ type: 'event-too-large', size: 101 });
  });

  it('counts comment, id and empty data lines of the open event', () => {
    // ": kéép" 8, "id: 7" 5, "data:" 5, "data: é" 8: 26 bytes open.
    const chunk = `: kéép${nl}id: 7${nl}data:${nl}data: é${nl}`;
    const ok = run([chunk, `data: ${'z'.repeat(68)}${nl}${nl}`], 100, nl);
    expect(ok.error).toBeUndefined();
    expect(ok.events).toStrictEqual([ev(`\né\n${'z'.repeat(68)}`, { id: '7' })]);
    const over = run([chunk, `data: ${'z'.repeat(69)}${nl}${nl}`], 100, nl);
    expect(over.error).toMatchObject({ type: 'event-too-large', size: 101 });
  });

  it('keeps counting over many chunks of whole lines', () => {
    // Ten chunks of one 10-byte line each: 100 bytes, then the blank line.
    const line = `data: 1é3${nl}`;
    const ok = run([...Array.from({ length: 10 }, () => line), nl], 100, nl);
    expect(ok.error).toBeUndefined();
    expect(ok.events).toStrictEqual([ev(Array.from({ length: 10 }, () => '1é3').join('\n'))]);
    const over = run([...Array.from({ length: 10 }, () => line), `:${nl}${nl}`], 100, nl);
    expect(over.error).toMatchObject({ type: 'event-too-large', size: 101 });
  });

  it('forgets the open lines once the event is dispatched', () => {
    // Each event is 56 + 44 = 100 bytes: at the limit every time, never over it.
    const parts: string[] = [];
    for (let i = 0; i < 5; i++) parts.push(first, second(38));
    const { events, error } = run(parts, 100, nl);
    expect(error).toBeUndefined();
    expect(events).toHaveLength(5);
  });

  it('decodes a chunk larger than the limit when none of its events is', () => {
    // Three events of 6 + 60 = 66 bytes in one chunk of over 200 bytes.
    const event = `data: ${'é'.repeat(30)}${nl}${nl}`;
    const { events, error } = run([event.repeat(3), first], 70, nl);
    expect(error).toBeUndefined();
    expect(events).toStrictEqual([ev('é'.repeat(30)), ev('é'.repeat(30)), ev('é'.repeat(30))]);
    expect(run([event.repeat(3)], 65, nl).error).toMatchObject({ size: 66 });
  });
});

describe('the byte-order mark on the whole-chunk path', () => {
  it('is stripped from a whole stream given as one chunk', () => {
    for (const nl of ['\n', '\r\n', '\r']) {
      const stream = `\uFEFFevent: ping${nl}data: 1${nl}${nl}data: 2${nl}${nl}`;
      expect(decode([stream])).toStrictEqual([ev('1', { event: 'ping' }), ev('2')]);
    }
  });

  it('is stripped when the chunk is decoded with exact line sizes (a limit below the chunk)', () => {
    const stream = '\uFEFFevent: ping\ndata: 1\n\ndata: 2\n\n';
    expect(decode([stream], { maxEventSize: 24 })).toStrictEqual([
      ev('1', { event: 'ping' }),
      ev('2'),
    ]);
  });

  it('is stripped from a first line of non-ASCII text', () => {
    expect(decode(['\uFEFFdata: café\n\n'])).toStrictEqual([ev('café')]);
    expect(decode(['\uFEFFdata: café\n\n'], { maxEventSize: 14 })).toStrictEqual([ev('café')]);
  });

  it('is stripped only at the start of the stream, not at the start of a later chunk', () => {
    // Not stripped, the BOM makes the line's field name "\uFEFFdata": an unknown field.
    expect(decode(['data: 1\n\n', '\uFEFFdata: 2\n\ndata: 3\n\n'])).toStrictEqual([
      ev('1'),
      ev('3'),
    ]);
  });

  it('is stripped from a first line that spans chunks', () => {
    expect(decode(['\uFEFFdata: 1', '23\n\n'])).toStrictEqual([ev('123')]);
    expect(decode(['\uFEFFda', 'ta: é\n\n'])).toStrictEqual([ev('é')]);
  });

  it('is stripped on the whole-chunk path: a new stream after end() on a decoder that was decoding non-ASCII chunks whole', () => {
    for (const maxEventSize of [undefined, 12]) {
      const decoder = new SseDecoder(maxEventSize === undefined ? {} : { maxEventSize });
      expect(decoder.push(bytes('data: é\n\n'.repeat(16)))).toHaveLength(16);
      decoder.end();
      expect(decoder.push(bytes('\uFEFFdata: é\n\ndata: ü\n\n'))).toStrictEqual([ev('é'), ev('ü')]);
      decoder.end();
      // Only the first line of a stream: a BOM later in the chunk stays in the field name.
      expect(decoder.push(bytes('data: é\n\n\uFEFFdata: ü\n\n'))).toStrictEqual([ev('é')]);
    }
  });
});

describe('the limit on a whole non-ASCII chunk', () => {
  /** A decoder on its whole-chunk path for non-ASCII chunks (16 dense events pushed). */
  function dense(maxEventSize: number): SseDecoder {
    const decoder = new SseDecoder({ maxEventSize });
    expect(decoder.push(bytes('data: é\n\n'.repeat(16)))).toHaveLength(16);
    return decoder;
  }

  it('fails in the push whose one line passes the limit by one byte', () => {
    // "data: " + 20 "é": 46 bytes, one over the limit; the chunk is that line and its LF.
    const decoder = dense(45);
    expect(() => decoder.push(bytes(`data: ${'é'.repeat(20)}\n`))).toThrow(
      expect.objectContaining({ type: 'event-too-large', limit: 45, size: 46 }),
    );
  });

  it('fails in the push whose line takes an open event one byte past the limit', () => {
    const decoder = dense(60);
    decoder.push(bytes('data: ü\n')); // 8 bytes open
    // 8 + 53 = 61.
    expect(() => decoder.push(bytes(`data: é${'ü'.repeat(22)}a\n`))).toThrow(
      expect.objectContaining({ type: 'event-too-large', size: 61 }),
    );
  });

  it('accepts a line that takes an open event exactly to the limit', () => {
    const decoder = dense(61);
    decoder.push(bytes('data: ü\n'));
    expect(decoder.push(bytes(`data: é${'ü'.repeat(22)}a\n`))).toStrictEqual([]);
    expect(decoder.bufferedBytes).toBe(61);
    expect(decoder.push(bytes('\n'))).toStrictEqual([ev(`ü\né${'ü'.repeat(22)}a`)]);
  });
});
