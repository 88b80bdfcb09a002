/** SseFramer: events cut on bytes, one behaviour per test. */
import { describe, expect, it } from 'vitest';
import { SseError, type SseFrame, SseFramer } from '../../src/sse/index.js';
import { bytes, ev } from './helpers.js';

const text = new TextDecoder('utf-8', { ignoreBOM: true });

function frame(parts: ReadonlyArray<string | readonly number[]>): {
  frames: SseFrame[];
  rest: string;
} {
  const framer = new SseFramer();
  const frames = parts.flatMap((p) => framer.push(bytes(p)));
  return { frames, rest: text.decode(framer.end().rest) };
}

const raws = (frames: readonly SseFrame[]): string[] => frames.map((f) => text.decode(f.raw));

describe('frame boundaries', () => {
  it('cuts an LF stream after each blank line', () => {
    const { frames } = frame(['event: a\ndata: 1\n\ndata: 2\n\n']);
    expect(raws(frames)).toStrictEqual(['event: a\ndata: 1\n\n', 'data: 2\n\n']);
  });

  it('cuts a CRLF stream after each blank line', () => {
    const { frames } = frame(['data: 1\r\n\r\ndata: 2\r\n\r\n']);
    expect(raws(frames)).toStrictEqual(['data: 1\r\n\r\n', 'data: 2\r\n\r\n']);
  });

  it('cuts a CR stream after each blank line', () => {
    const { frames } = frame(['data: 1\r\rdata: 2\r\r']);
    expect(raws(frames)).toStrictEqual(['data: 1\r\r', 'data: 2\r\r']);
  });

  it('finds a blank line split across chunks', () => {
    const { frames } = frame(['data: 1\n', '\n', 'data: 2\r\n', '\r\n']);
    expect(raws(frames)).toStrictEqual(['data: 1\n\n', 'data: 2\r\n\r\n']);
  });

  it('does not take the LF half of a split CRLF for a blank line', () => {
    const { frames } = frame(['data: 1\r', '\ndata: 2\n\n']);
    expect(raws(frames)).toStrictEqual(['data: 1\r\ndata: 2\n\n']);
  });

  it('emits a frame at a CR ending a chunk and starts the next frame with the LF half', () => {
    const framer = new SseFramer();
    const first = framer.push(bytes('data: 1\r\r'));
    const second = framer.push(bytes('\ndata: 2\n\n'));
    expect([raws(first), raws(second)]).toStrictEqual([['data: 1\r\r'], ['\ndata: 2\n\n']]);
  });

  it('emits a bare blank line as its own frame', () => {
    const { frames } = frame(['\ndata: 1\n\n']);
    expect(raws(frames)).toStrictEqual(['\n', 'data: 1\n\n']);
  });

  it('returns the incomplete trailing event from end()', () => {
    expect(frame(['data: 1\n\ndata: 2\nda']).rest).toBe('data: 2\nda');
  });

  it('returns an empty rest when the stream ends on a frame boundary', () => {
    expect(frame(['data: 1\n\n']).rest).toBe('');
  });

  it('shares memory with the chunk when a frame lies within one chunk', () => {
    const chunk = bytes('data: 1\n\n');
    const [only] = new SseFramer().push(chunk);
    expect(only!.raw.buffer).toBe(chunk.buffer);
  });

  it('keeps the pieces of a frame spanning chunks in chunks, with their total byteLength', () => {
    const { frames } = frame(['data: 1', '23', '4\n', '\n']);
    const only = frames[0]!;
    expect([only.chunks.map((c) => text.decode(c)), only.byteLength]).toStrictEqual([
      ['data: 1', '23', '4\n', '\n'],
      12,
    ]);
  });

  it('gives a frame within one chunk as a single piece', () => {
    expect(frame(['data: 1\n\n']).frames[0]!.chunks).toHaveLength(1);
  });

  it('joins a frame spanning chunks into one array', () => {
    const { frames } = frame(['data: 1', '23', '4\n', '\n']);
    expect(raws(frames)).toStrictEqual(['data: 1234\n\n']);
  });
});

describe('frame fields', () => {
  it('reads the event name', () => {
    expect(frame(['event: content_block_delta\ndata: {}\n\n']).frames[0]!.event).toBe(
      'content_block_delta',
    );
  });

  it('reads an event name split across chunks', () => {
    expect(frame(['ev', 'ent: mess', 'age_stop\ndata: {}\n\n']).frames[0]!.event).toBe(
      'message_stop',
    );
  });

  it('reads a non-ASCII event name', () => {
    expect(frame(['event: événement\ndata: x\n\n']).frames[0]!.event).toBe('événement');
  });

  it('uses the last event line', () => {
    expect(frame(['event: a\nevent: b\ndata: x\n\n']).frames[0]!.event).toBe('b');
  });

  it('leaves the event name unset for an empty or bare event line', () => {
    const { frames } = frame(['event:\ndata: x\n\nevent\ndata: y\n\n']);
    expect(frames.map((f) => f.event)).toStrictEqual([undefined, undefined]);
  });

  it('does not take an "events:" field for the event name', () => {
    expect(frame(['events: a\ndata: x\n\n']).frames[0]!.event).toBeUndefined();
  });

  it('marks a frame of only comment lines as a comment', () => {
    expect(frame([': lifeline resuming\n: still\n\n']).frames[0]!.isComment).toBe(true);
  });

  it('does not mark a frame with a field line as a comment', () => {
    expect(frame([': note\ndata: x\n\n']).frames[0]!.isComment).toBe(false);
  });

  it('decodes the data lazily per WHATWG, lines joined with LF', () => {
    expect(frame(['data: a\r\ndata:b\r\ndata\r\n\r\n']).frames[0]!.dataText()).toBe('a\nb\n');
  });

  it('gives empty data for a frame without data lines', () => {
    expect(frame([': only a comment\n\n']).frames[0]!.dataText()).toBe('');
  });

  it('decodes the whole event with toEvent()', () => {
    expect(frame(['event: e\nid: 9\nretry: 5\ndata: x\n\n']).frames[0]!.toEvent()).toStrictEqual(
      ev('x', { event: 'e', id: '9', retry: 5 }),
    );
  });

  it('keeps the BOM in the first frame bytes but not in its fields', () => {
    const { frames } = frame(['\uFEFFevent: a\ndata: x\n\n']);
    const only = frames[0]!;
    expect([only.raw[0], only.event, only.dataText()]).toStrictEqual([0xef, 'a', 'x']);
  });

  it('keeps a BOM opening a later frame as part of its first field name', () => {
    const { frames } = frame(['data: 1\n\n\uFEFFevent: a\ndata: x\n\n']);
    expect([frames[1]!.event, frames[1]!.dataText()]).toStrictEqual([undefined, 'x']);
  });
});

describe('frame size limit', () => {
  it('throws event-too-large like the decoder', () => {
    const framer = new SseFramer({ maxEventSize: 10 });
    expect(() => framer.push(bytes('data: 0123456789\n'))).toThrow(
      expect.objectContaining({ type: 'event-too-large', limit: 10, size: 16 }),
    );
  });

  it('counts a line still waiting for its end', () => {
    const framer = new SseFramer({ maxEventSize: 8 });
    framer.push(bytes('data: 12'));
    expect(() => framer.push(bytes('3'))).toThrow(SseError);
  });

  it('hands over the frames completed before the failure in the same push', () => {
    const framer = new SseFramer({ maxEventSize: 10 });
    let caught: unknown;
    try {
      framer.push(bytes('data: a\n\ndata: 0123456789\n\n'));
    } catch (error) {
      caught = error;
    }
    expect(raws((caught as SseError<SseFrame>).completed)).toStrictEqual(['data: a\n\n']);
  });

  it('refuses further input after the failure, with a stopped error', () => {
    const framer = new SseFramer({ maxEventSize: 4 });
    expect(() => framer.push(bytes('data: 12345\n'))).toThrow(SseError);
    expect(() => framer.end()).toThrow(expect.objectContaining({ type: 'stopped' }));
  });
});

describe('linear work', () => {
  it('frames a 20 MB single event in 64-byte chunks scanning each byte at most twice', () => {
    const size = 20 * 1024 * 1024;
    const input = new Uint8Array(size + 8).fill(0x61);
    input.set(bytes('data: '), 0);
    input.set(bytes('\n\n'), size + 6);
    const framer = new SseFramer({ maxEventSize: 32 * 1024 * 1024 });
    const frames = [];
    for (let at = 0; at < input.length; at += 64)
      frames.push(...framer.push(input.subarray(at, at + 64)));
    expect(frames.map((f) => f.raw.length)).toStrictEqual([input.length]);
    // Every byte is looked at: the count is of real work, not a constant.
    expect(framer.bytesScanned).toBeGreaterThanOrEqual(input.length);
    expect(framer.bytesScanned).toBeLessThanOrEqual(2 * input.length);
  });
});
