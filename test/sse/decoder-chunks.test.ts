/**
 * Line ends across chunk boundaries on each of the decoder's paths: the line-by-line path and
 * the whole-chunk path for text dense with non-ASCII (taken after 16 such lines), with a line
 * begun in an earlier chunk. Also the stream's first line and the stopped decoder's error.
 */
import { describe, expect, it } from 'vitest';
import { SseDecoder, SseError } from '../../src/sse/index.js';
import { bytes, decode, ev } from './helpers.js';

/** A decoder on its whole-chunk path for non-ASCII chunks. */
function dense(): SseDecoder {
  const decoder = new SseDecoder();
  expect(decoder.push(bytes('data: é\n\n'.repeat(16)))).toHaveLength(16);
  return decoder;
}

function pushAll(decoder: SseDecoder, parts: string[]) {
  return parts.flatMap((p) => decoder.push(bytes(p)));
}

describe('a CR ending a chunk', () => {
  it('takes only an LF opening the next chunk as its second half, not another byte', () => {
    expect(decode(['data: a\r', 'data: b\r\r'])).toStrictEqual([ev('a\nb')]);
    expect(decode(['data: a\r', '\rdata: b\n\n'])).toStrictEqual([ev('a'), ev('b')]);
  });

  it('on the whole-chunk path: CRLF split between chunks is one line end', () => {
    const decoder = dense();
    expect(pushAll(decoder, ['data: é\r', '\ndata: ü\r\n\r\n'])).toStrictEqual([ev('é\nü')]);
  });

  it('on the whole-chunk path: an LF ending a chunk does not swallow an LF opening the next', () => {
    const decoder = dense();
    expect(pushAll(decoder, ['data: é\n', '\ndata: ü\n\n'])).toStrictEqual([ev('é'), ev('ü')]);
  });
});

describe('a line begun in an earlier chunk', () => {
  it('ends at the first line end of the next chunk, LF or CR, whichever comes first', () => {
    expect(decode(['data: a', 'b\ndata: c\r\r'])).toStrictEqual([ev('ab\nc')]);
    expect(decode(['data: a', 'b\rdata: c\n\n'])).toStrictEqual([ev('ab\nc')]);
    expect(decode(['data: a', 'b\r\ndata: c\r\n\r\n'])).toStrictEqual([ev('ab\nc')]);
  });
});

describe('a line begun in an earlier chunk, on the whole-chunk path', () => {
  it('ends at an LF, and the CR-ended lines after it in the chunk are lines of their own', () => {
    const decoder = dense();
    expect(pushAll(decoder, ['data: é', 'é\ndata: ü\r\r'])).toStrictEqual([ev('éé\nü')]);
  });

  it('ends at a CR when the chunk has no LF', () => {
    const decoder = dense();
    expect(pushAll(decoder, ['data: é', 'é\r\r'])).toStrictEqual([ev('éé')]);
  });

  it('ends at a CR that comes before an LF in the chunk', () => {
    const decoder = dense();
    expect(pushAll(decoder, ['data: é', 'ü\rdata: ö\n\n'])).toStrictEqual([ev('éü\nö')]);
  });

  it('goes on through a chunk with no line end at all', () => {
    const decoder = dense();
    expect(pushAll(decoder, ['data: é', 'éé', 'é\n\n'])).toStrictEqual([ev('éééé')]);
    expect(decoder.bufferedBytes).toBe(0);
  });
});

describe('the first line of a stream', () => {
  it('is where a BOM is stripped, even when it is a blank line', () => {
    // The blank first line uses up the stream start: the BOM after it is part of a field name.
    expect(decode(['\n\uFEFFdata: 1\n\ndata: 2\n\n'])).toStrictEqual([ev('2')]);
  });
});

describe('a stopped decoder', () => {
  it('names itself and the first error in the error it throws, for push and end', () => {
    const decoder = new SseDecoder({ maxEventSize: 4 });
    expect(() => decoder.push(bytes('data: 12345\n'))).toThrow(SseError);
    for (const call of [() => decoder.push(bytes('\n')), () => decoder.end()]) {
      expect(call).toThrow(
        /^SseDecoder: this instance stopped at an earlier error \(event-too-large\)/,
      );
      expect(call).toThrow(/Create a new SseDecoder/);
    }
  });
});
