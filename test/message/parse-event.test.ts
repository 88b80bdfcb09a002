/** From a decoded SSE event to a typed stream event, and the error for a corrupt payload. */
import { expect, test } from 'vitest';
import {
  DATA_EXCERPT_CHARS,
  InvalidEventJsonError,
  parseStreamEvent,
} from '../../src/message/index.js';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

test('a JSON payload becomes the event it describes', () => {
  const data = '{"type":"content_block_delta","index":2,"delta":{"type":"text_delta","text":"hi"}}';
  expect(parseStreamEvent({ event: 'content_block_delta', data })).toStrictEqual({
    type: 'content_block_delta',
    index: 2,
    delta: { type: 'text_delta', text: 'hi' },
  });
});

test('invalid JSON throws an invalid-json error naming the event, with a truncated excerpt', () => {
  const data = `{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"${'x'.repeat(5000)}`;
  const err = thrown(() => parseStreamEvent({ event: 'content_block_delta', data }));
  expect(err).toBeInstanceOf(InvalidEventJsonError);
  const e = err as InvalidEventJsonError;
  expect(e.type).toBe('invalid-json');
  expect(e.event).toBe('content_block_delta');
  expect(e.dataLength).toBe(data.length);
  expect(e.excerpt).toBe(`${data.slice(0, DATA_EXCERPT_CHARS)}…`);
  expect(e.message).toContain('"content_block_delta"');
  expect(e.message).toContain(`${data.length} chars`);
  expect(e.message.length).toBeLessThan(600);
  expect(e.message).not.toContain('x'.repeat(200));
});

test('the excerpt never ends inside a surrogate pair', () => {
  const data = `${'a'.repeat(DATA_EXCERPT_CHARS - 1)}🦀 and more {`;
  const e = thrown(() =>
    parseStreamEvent({ event: 'message_delta', data }),
  ) as InvalidEventJsonError;
  expect(e.excerpt).toBe(`${'a'.repeat(DATA_EXCERPT_CHARS - 1)}…`);
});

test('a JSON value that is not an object is an invalid-json error naming what it is', () => {
  for (const [data, kind] of [
    ['[1,2]', 'an array'],
    ['null', 'null'],
    ['42', 'a number'],
    ['"text"', 'a string'],
    ['true', 'a boolean'],
  ]) {
    const e = thrown(() => parseStreamEvent({ event: 'message_stop', data: data! }));
    expect(e).toMatchObject({ type: 'invalid-json', event: 'message_stop' });
    expect((e as Error).message).toContain(`(JSON ${kind}, not an object)`);
  }
});

test('the error says what JSON.parse objected to, and what to do', () => {
  const data = '{"type":';
  let reason = '';
  try {
    JSON.parse(data);
  } catch (err) {
    reason = (err as Error).message;
  }
  const e = thrown(() => parseStreamEvent({ event: 'message_delta', data })) as Error;
  expect(e.name).toBe('InvalidEventJsonError');
  expect(e.message).toBe(
    `SSE event "message_delta" carries data that is not a JSON object (${reason}); ` +
      '8 chars starting "{\\"type\\":". The upstream or a proxy between us corrupted or cut ' +
      'the event. Retry the request; if it repeats, capture the stream and run ' +
      '`lifeline analyze` on it.',
  );
});

test('the event type is the one in the payload, whatever the SSE event name', () => {
  expect(parseStreamEvent({ data: '{"type":"message_stop"}' })).toStrictEqual({
    type: 'message_stop',
  });
  expect(
    parseStreamEvent({ event: 'message_delta', data: '{"type":"message_stop"}' }),
  ).toStrictEqual({ type: 'message_stop' });
});

test('a JSON object whose type is not a string takes the SSE event name', () => {
  expect(parseStreamEvent({ event: 'message_delta', data: '{"type":5,"x":1}' })).toStrictEqual({
    type: 'message_delta',
    x: 1,
  });
});

test('an event without an event: line is named "message" in the error', () => {
  const e = thrown(() => parseStreamEvent({ data: 'not json' }));
  expect(e).toMatchObject({ type: 'invalid-json', event: 'message', excerpt: 'not json' });
});

test('ping becomes {type: "ping"} whatever its data', () => {
  expect(parseStreamEvent({ event: 'ping', data: '' })).toStrictEqual({ type: 'ping' });
  expect(parseStreamEvent({ event: 'ping', data: 'garbage' })).toStrictEqual({ type: 'ping' });
});

test('an event with empty data becomes an unknown event named after the SSE event', () => {
  expect(parseStreamEvent({ event: 'heartbeat', data: '' })).toStrictEqual({ type: 'heartbeat' });
});

test('a JSON object without a type takes the SSE event name', () => {
  expect(parseStreamEvent({ event: 'future_event', data: '{"x":1}' })).toStrictEqual({
    type: 'future_event',
    x: 1,
  });
});

test('an error event parses to its error object', () => {
  const data = '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}';
  expect(parseStreamEvent({ event: 'error', data })).toStrictEqual({
    type: 'error',
    error: { type: 'overloaded_error', message: 'Overloaded' },
  });
});
