/** SseError: what the decoder's and framer's errors carry and say to the person fixing them. */
import { describe, expect, it } from 'vitest';
import { eventTooLarge, stopped } from '../../src/sse/errors.js';
import { SseDecoder, SseError, type SseFrame, SseFramer } from '../../src/sse/index.js';
import { bytes, ev } from './helpers.js';

/** The error thrown by `action`, or a failure if it throws none. */
function thrown(action: () => unknown): SseError<unknown> {
  try {
    action();
  } catch (error) {
    if (error instanceof SseError) return error;
    throw error;
  }
  throw new Error('expected an SseError');
}

describe('SseError', () => {
  it('is named SseError and carries its type, limit and size', () => {
    const error = new SseError('m', { type: 'event-too-large', limit: 4, size: 5 });
    expect([error.name, error.message, error.type, error.limit, error.size]).toStrictEqual([
      'SseError',
      'm',
      'event-too-large',
      4,
      5,
    ]);
  });

  it('holds no completed items unless given some', () => {
    expect(new SseError('m', { type: 'stopped' }).completed).toStrictEqual([]);
  });
});

describe('event-too-large', () => {
  it('says which class failed, the size seen, the limit, and to raise maxEventSize', () => {
    const error = thrown(() => new SseDecoder({ maxEventSize: 4 }).push(bytes('data: 12345\n')));
    expect(error.message).toBe(
      'SseDecoder: one server-sent event grew to 11 bytes before its terminating blank line, ' +
        'over the maxEventSize limit of 4 bytes. The limit bounds memory when an upstream sends ' +
        'an endless event or is not speaking SSE. If events this large are expected (big tool ' +
        'inputs), raise maxEventSize, e.g. new SseDecoder({ maxEventSize: 1048576 }); otherwise ' +
        'check what the upstream is sending. This instance is now stopped: create a new one.',
    );
  });

  it('names the framer when the framer fails', () => {
    const error = thrown(() => new SseFramer({ maxEventSize: 4 }).push(bytes('data: 12345\n')));
    expect(error.message).toMatch(
      /^SseFramer: .* e\.g\. new SseFramer\(\{ maxEventSize: 1048576 \}\)/,
    );
  });

  it('suggests the first power of two from 1 MiB that is above the size seen', () => {
    const suggested = (size: number) =>
      /maxEventSize: (\d+) \}/.exec(eventTooLarge('SseDecoder', 1, size, []).message)?.[1];
    expect([1, 1048575, 1048576, 1048577, 5_000_000, 16 * 1048576].map(suggested)).toStrictEqual([
      '1048576',
      '1048576',
      '2097152',
      '2097152',
      '8388608',
      '33554432',
    ]);
  });

  it('carries the events completed before it', () => {
    const error = eventTooLarge('SseDecoder', 4, 9, [ev('a')]);
    expect([error.type, error.limit, error.size, error.completed]).toStrictEqual([
      'event-too-large',
      4,
      9,
      [ev('a')],
    ]);
  });
});

describe('stopped', () => {
  it('names the earlier failure, keeps its limit and size, and says to create a new instance', () => {
    const cause = eventTooLarge<SseFrame>('SseFramer', 4, 9, []);
    const error = stopped('SseFramer', cause);
    expect([error.type, error.limit, error.size, error.completed]).toStrictEqual([
      'stopped',
      4,
      9,
      [],
    ]);
    expect(error.message).toBe(
      'SseFramer: this instance stopped at an earlier error (event-too-large) and cannot ' +
        'continue mid-stream, because the bytes after the failure point cannot be framed ' +
        'reliably. Create a new SseFramer for the next stream.',
    );
  });

  it('is what a decoder throws on any use after it failed', () => {
    const decoder = new SseDecoder({ maxEventSize: 4 });
    thrown(() => decoder.push(bytes('data: 12345\n')));
    const error = thrown(() => decoder.push(bytes('\n')));
    expect([error.type, error.limit, error.size]).toStrictEqual(['stopped', 4, 11]);
    expect(error.message).toMatch(/^SseDecoder: .*Create a new SseDecoder/);
  });
});
