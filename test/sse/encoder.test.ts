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

  it('writes only the data line when no other field is set, and one for empty data', () => {
    expect([encodeEvent({ data: 'x' }), encodeEvent({ data: '' })]).toStrictEqual([
      'data: x\n\n',
      'data: \n\n',
    ]);
  });

  it('writes an empty event name as an empty event field', () => {
    expect(encodeEvent({ event: '', data: 'x' })).toBe('event: \ndata: x\n\n');
  });

  it('writes a retry of 0', () => {
    expect(encodeEvent({ retry: 0, data: 'x' })).toBe('retry: 0\ndata: x\n\n');
  });

  it('refuses a line break in the event name, naming the field and the value', () => {
    expect(() => encodeEvent({ event: 'a\nb', data: '' })).toThrow(
      new TypeError('SSE event must not contain a line break: "a\\nb"'),
    );
    expect(() => encodeEvent({ event: 'a\rb', data: '' })).toThrow(TypeError);
  });

  it('refuses a line break in the id, naming the field and the value', () => {
    expect(() => encodeEvent({ id: '1\r\n2', data: '' })).toThrow(
      new TypeError('SSE id must not contain a line break: "1\\r\\n2"'),
    );
  });

  it('refuses NUL in the id, which decoders ignore', () => {
    expect(() => encodeEvent({ id: 'a\0', data: '' })).toThrow(/NUL/);
  });

  it('refuses a retry that would not print as digits', () => {
    expect(() => encodeEvent({ retry: 1e21, data: '' })).toThrow(/safe integer/);
  });

  it('refuses a negative or fractional retry, saying what it got', () => {
    expect(() => encodeEvent({ retry: -1, data: '' })).toThrow(
      new TypeError('SSE retry must be a non-negative safe integer (milliseconds), got -1'),
    );
    expect(() => encodeEvent({ retry: 1.5, data: '' })).toThrow(/got 1\.5$/);
  });
});

describe('encodeComment', () => {
  it('writes one comment line per line and a blank line', () => {
    expect(encodeComment('lifeline resuming\nattempt 2')).toBe(
      ': lifeline resuming\n: attempt 2\n\n',
    );
  });

  it('splits comment text at CRLF, CR and LF alike', () => {
    expect(encodeComment('a\r\nb\rc')).toBe(': a\n: b\n: c\n\n');
  });

  it('writes empty text as one empty comment line', () => {
    expect(encodeComment('')).toBe(': \n\n');
  });
});

describe('encodeJsonEvent', () => {
  it('writes the event type and the JSON payload on one data line', () => {
    expect(encodeJsonEvent('ping', { type: 'ping' })).toBe(
      'event: ping\ndata: {"type":"ping"}\n\n',
    );
  });
});
