/** SSE encoder: output shape and the inputs it refuses. */
import { describe, expect, it } from 'vitest';
import { encodeComment, encodeEvent, encodeJsonEvent } from '../../src/sse/index.js';
import { decode, ev } from './helpers.js';

describe('encodeEvent', () => {
  it('writes fields in order and ends with a blank line', () => {
    expect(encodeEvent({ event: 'e', id: '1', retry: 5, data: 'x' })).toBe(
      'event: e\nid: 1\nretry: 5\ndata: x\n\n',
    );
  });

  it('writes one data line per line of data, whatever the line ends', () => {
    expect(encodeEvent({ data: 'a\r\nb\rc\nd' })).toBe('data: a\ndata: b\ndata: c\ndata: d\n\n');
  });

  it('keeps a leading space of a value, which the decoder strips only once', () => {
    expect(decode([encodeEvent({ data: ' x' })])).toStrictEqual([ev(' x')]);
  });

  it('refuses a line break in the event name', () => {
    expect(() => encodeEvent({ event: 'a\nb', data: '' })).toThrow(TypeError);
  });

  it('refuses NUL in the id, which decoders ignore', () => {
    expect(() => encodeEvent({ id: 'a\0', data: '' })).toThrow(/NUL/);
  });

  it('refuses a retry that would not print as digits', () => {
    expect(() => encodeEvent({ retry: 1e21, data: '' })).toThrow(/safe integer/);
  });
});

describe('encodeComment', () => {
  it('writes one comment line per line and a blank line', () => {
    expect(encodeComment('lifeline resuming\nattempt 2')).toBe(
      ': lifeline resuming\n: attempt 2\n\n',
    );
  });
});

describe('encodeJsonEvent', () => {
  it('writes the event type and the JSON payload on one data line', () => {
    expect(encodeJsonEvent('ping', { type: 'ping' })).toBe(
      'event: ping\ndata: {"type":"ping"}\n\n',
    );
  });
});
