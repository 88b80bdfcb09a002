/**
 * SseDecoder, one behaviour of WHATWG "Interpreting an event stream" per test
 * (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation).
 */
import { describe, expect, it } from 'vitest';
import { SseDecoder, SseError } from '../../src/sse/index.js';
import { bytes, decode, ev } from './helpers.js';

describe('line ends', () => {
  it('accepts LF line ends', () => {
    expect(decode(['data: a\ndata: b\n\n'])).toStrictEqual([ev('a\nb')]);
  });

  it('accepts CRLF line ends', () => {
    expect(decode(['data: a\r\ndata: b\r\n\r\n'])).toStrictEqual([ev('a\nb')]);
  });

  it('accepts CR line ends', () => {
    expect(decode(['data: a\rdata: b\r\r'])).toStrictEqual([ev('a\nb')]);
  });

  it('accepts mixed line ends in one stream', () => {
    expect(decode(['data: a\rdata: b\ndata: c\r\n\n'])).toStrictEqual([ev('a\nb\nc')]);
  });

  it('treats CR ending one chunk and LF starting the next as one line end', () => {
    // Were they two line ends, the LF would be a blank line dispatching "a" alone.
    expect(decode(['data: a\r', '\ndata: b\n\n'])).toStrictEqual([ev('a\nb')]);
  });

  it('dispatches at a CR that ends a chunk, without waiting for the next chunk', () => {
    const decoder = new SseDecoder();
    expect(decoder.push(bytes('data: a\r\r'))).toStrictEqual([ev('a')]);
  });

  it('treats LF CR as two line ends', () => {
    expect(decode(['data: a\n\rdata: b\n\n'])).toStrictEqual([ev('a'), ev('b')]);
  });
});

describe('byte order mark', () => {
  it('strips a UTF-8 BOM at the start of the stream', () => {
    expect(decode(['\uFEFFdata: a\n\n'])).toStrictEqual([ev('a')]);
  });

  it('strips a BOM split across chunks', () => {
    expect(decode([[0xef], [0xbb], [0xbf], 'data: a\n\n'])).toStrictEqual([ev('a')]);
  });

  it('strips only one BOM: a second one makes the first field name unknown', () => {
    expect(decode(['\uFEFF\uFEFFdata: a\n\ndata: b\n\n'])).toStrictEqual([ev('b')]);
  });

  it('keeps U+FEFF at the start of a later line as part of the field name', () => {
    expect(decode(['data: a\n\n\uFEFFdata: b\n\n'])).toStrictEqual([ev('a')]);
  });

  it('keeps U+FEFF inside a value', () => {
    expect(decode(['data: \uFEFFa\n\n'])).toStrictEqual([ev('\uFEFFa')]);
  });

  it('strips the BOM again after end() starts a new stream', () => {
    const decoder = new SseDecoder();
    decoder.decodeAll([bytes('data: a\n\n')]);
    expect(decoder.decodeAll([bytes('\uFEFFdata: b\n\n')])).toStrictEqual([ev('b')]);
  });
});

describe('comments', () => {
  it('ignores comment lines', () => {
    expect(decode([': keep-alive\ndata: a\n: more\n\n'])).toStrictEqual([ev('a')]);
  });

  it('reports comment text after the colon and one space to onComment', () => {
    const comments: string[] = [];
    decode([':a\n:  b\n:\n\n'], { onComment: (c) => comments.push(c) });
    expect(comments).toStrictEqual(['a', ' b', '']);
  });

  it('dispatches nothing for a block of comments alone', () => {
    expect(decode([': lifeline resuming\n\n'])).toStrictEqual([]);
  });
});

describe('fields', () => {
  it('strips one space after the colon', () => {
    expect(decode(['data: a\n\n'])).toStrictEqual([ev('a')]);
  });

  it('strips only one space after the colon', () => {
    expect(decode(['data:  a\n\n'])).toStrictEqual([ev(' a')]);
  });

  it('reads a value with no space after the colon', () => {
    expect(decode(['data:a\n\n'])).toStrictEqual([ev('a')]);
  });

  it('keeps colons inside the value', () => {
    expect(decode(['data: a: b:c\n\n'])).toStrictEqual([ev('a: b:c')]);
  });

  it('reads a line without a colon as a field name with an empty value', () => {
    expect(decode(['data\n\n'])).toStrictEqual([ev('')]);
  });

  it('joins multi-line data with LF', () => {
    expect(decode(['data: a\ndata:\ndata: c\n\n'])).toStrictEqual([ev('a\n\nc')]);
  });

  it('dispatches an empty data line as empty data', () => {
    expect(decode(['data:\n\n'])).toStrictEqual([ev('')]);
  });

  it('sets the event type from the event field', () => {
    expect(decode(['event: ping\ndata: {}\n\n'])).toStrictEqual([ev('{}', { event: 'ping' })]);
  });

  it('uses the last event field of an event', () => {
    expect(decode(['event: a\nevent: b\ndata: x\n\n'])).toStrictEqual([ev('x', { event: 'b' })]);
  });

  it('leaves the event type unset for an empty event field', () => {
    expect(decode(['event:\ndata: x\n\n'])).toStrictEqual([ev('x')]);
  });

  it('resets the event type after each event', () => {
    expect(decode(['event: a\ndata: 1\n\ndata: 2\n\n'])).toStrictEqual([
      ev('1', { event: 'a' }),
      ev('2'),
    ]);
  });

  it('ignores unknown fields', () => {
    expect(decode(['foo: bar\nData: x\ndata: a\n\n'])).toStrictEqual([ev('a')]);
  });

  it('compares field names literally (no case folding)', () => {
    expect(decode(['DATA: a\n\n'])).toStrictEqual([]);
  });

  it('ignores a known field name with any one letter in upper case', () => {
    const variants = (name: string) =>
      [...name].map((_, i) => name.slice(0, i) + name[i]!.toUpperCase() + name.slice(i + 1));
    const stream = [
      ...variants('data').map((n) => `${n}: x\n`),
      ...variants('event').map((n) => `${n}: x\n`),
      ...variants('id').map((n) => `${n}: x\n`),
      ...variants('retry').map((n) => `${n}: 5\n`),
      'data: a\n\n',
    ].join('');
    expect(decode([stream])).toStrictEqual([ev('a')]);
  });

  it('ignores a field whose name starts with a known name', () => {
    const stream = 'datax: 1\ndatax\neventx: e\nidx: 2\nretryx: 5\ndata: a\n\n';
    expect(decode([stream])).toStrictEqual([ev('a')]);
  });

  it('ignores a field whose name is a known name cut short', () => {
    const stream = 'dat: 1\nevent: e\neven: f\ni: 2\nretr: 5\ndata: a\n\n';
    expect(decode([stream])).toStrictEqual([ev('a', { event: 'e' })]);
  });

  it('clears the event type at a bare event line (no colon)', () => {
    expect(decode(['event: a\nevent\ndata: x\n\n'])).toStrictEqual([ev('x')]);
  });

  it('reads a bare data line as empty data appended to the data before it', () => {
    expect(decode(['data: a\ndata\ndata: b\n\n'])).toStrictEqual([ev('a\n\nb')]);
  });

  it('reads a value after the first colon, however many colons follow', () => {
    expect(decode(['event::a:\ndata: x\n\n'])).toStrictEqual([ev('x', { event: ':a:' })]);
  });
});

describe('id', () => {
  it('sets the id of the event', () => {
    expect(decode(['id: 7\ndata: a\n\n'])).toStrictEqual([ev('a', { id: '7' })]);
  });

  it('ignores an id containing NUL', () => {
    expect(decode(['id: a\0b\ndata: a\n\n'])).toStrictEqual([ev('a')]);
  });

  it('sets an empty id from a bare id line or an empty value', () => {
    expect(decode(['id: 1\nid\ndata: a\n\nid:\ndata: b\n\n'])).toStrictEqual([
      ev('a', { id: '' }),
      ev('b', { id: '' }),
    ]);
  });

  it('gives an event without an id field no id, and keeps the last id as lastEventId', () => {
    const decoder = new SseDecoder();
    const events = decoder.decodeAll([bytes('id: 1\ndata: a\n\ndata: b\n\n')]);
    expect([events, decoder.lastEventId]).toStrictEqual([[ev('a', { id: '1' }), ev('b')], '1']);
  });

  it('starts with an empty lastEventId', () => {
    expect(new SseDecoder().lastEventId).toBe('');
  });

  it('keeps the last valid id as lastEventId across events', () => {
    const decoder = new SseDecoder();
    decoder.decodeAll([bytes('id: 1\ndata: a\n\ndata: b\n\nid: 2\0\ndata: c\n\n')]);
    expect(decoder.lastEventId).toBe('1');
  });
});

describe('retry', () => {
  it('accepts a value of ASCII digits', () => {
    expect(decode(['retry: 3000\ndata: a\n\n'])).toStrictEqual([ev('a', { retry: 3000 })]);
  });

  it('accepts every ASCII digit, 0 and 9 included', () => {
    expect(decode(['retry: 0\ndata: a\n\nretry: 9876543210\ndata: b\n\n'])).toStrictEqual([
      ev('a', { retry: 0 }),
      ev('b', { retry: 9876543210 }),
    ]);
  });

  it('ignores a value with the characters just outside the digits, / and :', () => {
    expect(decode(['retry: 1/\ndata: a\n\nretry: :1\ndata: b\n\n'])).toStrictEqual([
      ev('a'),
      ev('b'),
    ]);
  });

  it('gives the retry to its own event only, and every valid one to onRetry', () => {
    const retries: number[] = [];
    const events = decode(['retry: 5\ndata: a\n\nretry: x\ndata: b\n\nretry: 7\n\n'], {
      onRetry: (ms) => retries.push(ms),
    });
    expect([events, retries]).toStrictEqual([
      [ev('a', { retry: 5 }), ev('b')],
      [5, 7],
    ]);
  });

  it('ignores a value with a non-digit', () => {
    expect(decode(['retry: 30s\ndata: a\n\n'])).toStrictEqual([ev('a')]);
  });

  it('ignores a value with a second leading space', () => {
    expect(decode(['retry:  30\ndata: a\n\n'])).toStrictEqual([ev('a')]);
  });

  it('ignores an empty value', () => {
    expect(decode(['retry:\ndata: a\n\n'])).toStrictEqual([ev('a')]);
  });

  it('ignores a negative value', () => {
    expect(decode(['retry: -1\ndata: a\n\n'])).toStrictEqual([ev('a')]);
  });

  it('reports a valid retry to onRetry even when no event is dispatched', () => {
    const retries: number[] = [];
    decode(['retry: 500\n\n'], { onRetry: (ms) => retries.push(ms) });
    expect(retries).toStrictEqual([500]);
  });
});

describe('dispatch', () => {
  it('does not dispatch an event without data', () => {
    expect(decode(['event: a\nid: 1\n\n'])).toStrictEqual([]);
  });

  it('does not dispatch a final event without its blank line at end()', () => {
    expect(decode(['data: a\n\ndata: b\n'])).toStrictEqual([ev('a')]);
  });

  it('does not dispatch a final incomplete line at end()', () => {
    expect(decode(['data: a\n\ndata: b'])).toStrictEqual([ev('a')]);
  });

  it('returns no events from end()', () => {
    const decoder = new SseDecoder();
    decoder.push(bytes('data: a\n'));
    expect(decoder.end()).toStrictEqual([]);
  });

  it('ignores blank lines between events', () => {
    expect(decode(['\n\n\ndata: a\n\n\n\n'])).toStrictEqual([ev('a')]);
  });

  it('accepts empty chunks', () => {
    expect(decode(['', 'data: a', '', '\n\n', ''])).toStrictEqual([ev('a')]);
  });

  it('reports the bytes of the incomplete event held', () => {
    const decoder = new SseDecoder();
    decoder.push(bytes('data: ab\nda'));
    expect(decoder.bufferedBytes).toBe(10);
  });
});

describe('UTF-8', () => {
  it('decodes a 2-byte character split across chunks', () => {
    expect(
      decode([
        [0x64, 0x61, 0x74, 0x61, 0x3a, 0xc3],
        [0xa9, 0x0a, 0x0a],
      ]),
    ).toStrictEqual([ev('é')]);
  });

  it('decodes a 3-byte character split byte by byte', () => {
    expect(decode(['data:', [0xe2], [0x82], [0xac], '\n\n'])).toStrictEqual([ev('€')]);
  });

  it('decodes a 4-byte character split byte by byte', () => {
    expect(decode(['data:', [0xf0], [0x9f], [0x98], [0x80], '\n\n'])).toStrictEqual([ev('😀')]);
  });

  it('decodes non-ASCII event names and comments', () => {
    const comments: string[] = [];
    const events = decode([': café\nevent: 日本\ndata: x\n\n'], {
      onComment: (c) => comments.push(c),
    });
    expect([events, comments]).toStrictEqual([[ev('x', { event: '日本' })], ['café']]);
  });

  it('replaces invalid UTF-8 with U+FFFD as TextDecoder does', () => {
    expect(decode([[0x64, 0x61, 0x74, 0x61, 0x3a, 0xff, 0xe2, 0x82, 0x0a, 0x0a]])).toStrictEqual([
      ev('\uFFFD\uFFFD'),
    ]);
  });

  it('ends a truncated character at the line end, not across it', () => {
    expect(
      decode([
        [0x64, 0x61, 0x74, 0x61, 0x3a, 0xc3, 0x0a, 0x64, 0x61, 0x74, 0x61, 0x3a, 0xa9, 0x0a, 0x0a],
      ]),
    ).toStrictEqual([ev('\uFFFD\n\uFFFD')]);
  });
});

describe('event size limit', () => {
  it('throws event-too-large with the limit and the size so far', () => {
    const decoder = new SseDecoder({ maxEventSize: 10 });
    let caught: unknown;
    try {
      decoder.push(bytes('data: 0123456789\n'));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SseError);
    expect(caught).toMatchObject({ type: 'event-too-large', limit: 10, size: 16 });
  });

  it('says what to do in the message: raise maxEventSize', () => {
    const decoder = new SseDecoder({ maxEventSize: 4 });
    expect(() => decoder.push(bytes('data: 12345\n'))).toThrow(/raise maxEventSize/);
  });

  it('counts a line still waiting for its end', () => {
    const decoder = new SseDecoder({ maxEventSize: 8 });
    decoder.push(bytes('data: 12'));
    expect(() => decoder.push(bytes('3'))).toThrow(SseError);
  });

  it('counts every line of the event, comments included', () => {
    const decoder = new SseDecoder({ maxEventSize: 12 });
    expect(() => decoder.push(bytes(': 123456\ndata: 1\n'))).toThrow(SseError);
  });

  it('accepts an event of exactly the limit', () => {
    expect(decode(['data: 1234\n\n'], { maxEventSize: 10 })).toStrictEqual([ev('1234')]);
  });

  it('applies the limit to each event, not the stream', () => {
    const events = decode(['data: 1234\n\n'.repeat(100)], { maxEventSize: 10 });
    expect(events).toHaveLength(100);
  });

  it('hands over the events completed before the failure in the same push', () => {
    const decoder = new SseDecoder({ maxEventSize: 10 });
    let caught: unknown;
    try {
      decoder.push(bytes('data: a\n\ndata: b\n\ndata: 0123456789\n\n'));
    } catch (error) {
      caught = error;
    }
    expect((caught as SseError).completed).toStrictEqual([ev('a'), ev('b')]);
  });

  it('refuses further input after the failure, with a stopped error', () => {
    const decoder = new SseDecoder({ maxEventSize: 4 });
    expect(() => decoder.push(bytes('data: 12345\n'))).toThrow(SseError);
    expect(() => decoder.push(bytes('\n'))).toThrow(expect.objectContaining({ type: 'stopped' }));
  });

  it('defaults to 16 MiB', () => {
    expect(new SseDecoder().maxEventSize).toBe(16 * 1024 * 1024);
  });
});
