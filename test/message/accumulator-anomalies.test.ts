/**
 * The accumulator on streams that break the protocol's order or shape: each anomaly it
 * records (kind, event position, the line for a human), and what it keeps of the message.
 * Also the message fields a `message_delta` carries besides usage.
 */
import { describe, expect, test } from 'vitest';
import { MessageAccumulator, type StreamAnomaly } from '../../src/message/index.js';
import type { StreamEvent, UnknownStreamEvent } from '../../src/protocol/index.js';

type Json = Record<string, unknown>;

function feed(events: Json[]): MessageAccumulator {
  const acc = new MessageAccumulator();
  for (const event of events) acc.push(event as unknown as StreamEvent | UnknownStreamEvent);
  return acc;
}

const START: Json = {
  type: 'message_start',
  message: {
    id: 'msg_1',
    type: 'message',
    role: 'assistant',
    model: 'claude-a',
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: 3, output_tokens: 1 },
  },
};
const textStart = (index: number): Json => ({
  type: 'content_block_start',
  index,
  content_block: { type: 'text', text: '' },
});
const textDelta = (index: number, text: string): Json => ({
  type: 'content_block_delta',
  index,
  delta: { type: 'text_delta', text },
});
const stop = (index: number): Json => ({ type: 'content_block_stop', index });

function anomalies(acc: MessageAccumulator): StreamAnomaly[] {
  return acc.snapshot().anomalies;
}

describe('anomalies', () => {
  test('an event before message_start is reported and still applied', () => {
    const acc = feed([textStart(0), textDelta(0, 'early')]);
    expect(anomalies(acc)).toStrictEqual([
      {
        event: 0,
        kind: 'event-before-message-start',
        detail: 'content_block_start before message_start',
      },
      {
        event: 1,
        kind: 'event-before-message-start',
        detail: 'content_block_delta before message_start',
      },
    ]);
    expect(acc.snapshot().open?.text).toBe('early');
    expect(acc.snapshot().started).toBe(false);
  });

  test('a second message_start is reported and ignored', () => {
    const second = { ...START, message: { ...(START.message as Json), id: 'msg_2' } };
    const acc = feed([START, second]);
    expect(anomalies(acc)).toStrictEqual([
      { event: 1, kind: 'repeated-message-start', detail: 'a second message_start, ignored' },
    ]);
    expect(acc.toMessage().id).toBe('msg_1');
  });

  test('a message_start without a message object is malformed and starts nothing', () => {
    for (const message of [undefined, null, 'msg']) {
      const acc = feed([{ type: 'message_start', message }]);
      expect(anomalies(acc)).toStrictEqual([
        { event: 0, kind: 'malformed-event', detail: 'message_start without a message object' },
      ]);
      expect(acc.snapshot().started).toBe(false);
      expect(acc.snapshot().usage).toBeUndefined();
    }
  });

  test('a message_start without usage leaves usage unset until a message_delta', () => {
    const acc = feed([{ type: 'message_start', message: { id: 'm', content: [] } }]);
    expect(acc.snapshot().usage).toBeUndefined();
    acc.push({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: 4 },
    } as unknown as StreamEvent);
    expect(acc.snapshot().usage).toStrictEqual({ output_tokens: 4 });
    expect(acc.toMessage().usage).toStrictEqual({ output_tokens: 4 });
  });

  test('a content_block_start without an index or a block type is malformed', () => {
    const acc = feed([
      START,
      { type: 'content_block_start', content_block: { type: 'text', text: '' } },
      { type: 'content_block_start', index: 0, content_block: { text: '' } },
      { type: 'content_block_start', index: 0 },
    ]);
    expect(anomalies(acc)).toStrictEqual(
      [1, 2, 3].map((event) => ({
        event,
        kind: 'malformed-event',
        detail: 'content_block_start without index or type',
      })),
    );
    expect(acc.snapshot().openCount).toBe(0);
  });

  test('a block started again while open is finished as it was, and reported', () => {
    const acc = feed([START, textStart(0), textDelta(0, 'first'), textStart(0)]);
    expect(anomalies(acc)).toStrictEqual([
      { event: 3, kind: 'block-already-open', detail: 'block 0 started again while open' },
    ]);
    expect(acc.snapshot().blocks).toStrictEqual([{ type: 'text', text: 'first' }]);
    expect(acc.snapshot().openCount).toBe(1);
    expect(acc.snapshot().open?.text).toBe('');
  });

  test('a content_block_delta without an index or a delta type is malformed', () => {
    const acc = feed([
      START,
      textStart(0),
      { type: 'content_block_delta', delta: { type: 'text_delta', text: 'x' } },
      { type: 'content_block_delta', index: 0, delta: { text: 'x' } },
      { type: 'content_block_delta', index: 0, delta: null },
    ]);
    expect(anomalies(acc)).toStrictEqual(
      [2, 3, 4].map((event) => ({
        event,
        kind: 'malformed-event',
        detail: 'content_block_delta without index or type',
      })),
    );
    expect(acc.snapshot().open?.text).toBe('');
  });

  test('a delta of a known type without its payload field is reported', () => {
    const acc = feed([
      START,
      textStart(0),
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta' } },
    ]);
    expect(anomalies(acc)).toStrictEqual([
      { event: 2, kind: 'malformed-delta', detail: 'text_delta without its payload field' },
    ]);
  });

  test('a delta of the wrong type for its block says which and where', () => {
    const acc = feed([
      START,
      textStart(2),
      { type: 'content_block_delta', index: 2, delta: { type: 'thinking_delta', thinking: 'x' } },
    ]);
    expect(anomalies(acc)).toStrictEqual([
      {
        event: 2,
        kind: 'delta-type-mismatch',
        detail: 'thinking_delta on a text block (index 2), not applied',
      },
    ]);
  });

  test('a stop for a block that is not open, or without an index, is reported', () => {
    const acc = feed([START, stop(4), { type: 'content_block_stop' }]);
    expect(anomalies(acc)).toStrictEqual([
      { event: 1, kind: 'stop-without-open-block', detail: 'content_block_stop for 4' },
      { event: 2, kind: 'stop-without-open-block', detail: 'content_block_stop for undefined' },
    ]);
  });

  test('blocks still open at message_stop close in index order, each reported', () => {
    const acc = feed([
      START,
      textStart(1),
      textDelta(1, 'one'),
      textStart(0),
      textDelta(0, 'zero'),
      { type: 'message_stop' },
    ]);
    expect(anomalies(acc)).toStrictEqual([
      { event: 5, kind: 'block-not-stopped', detail: 'block 0 open at message_stop' },
      { event: 5, kind: 'block-not-stopped', detail: 'block 1 open at message_stop' },
    ]);
    expect(acc.toMessage().content).toStrictEqual([
      { type: 'text', text: 'zero' },
      { type: 'text', text: 'one' },
    ]);
    expect(acc.snapshot().open).toBeUndefined();
  });

  test('a later-index block finished before an earlier one still lands in index order', () => {
    const acc = feed([START, textStart(0), textStart(1), stop(1), textStart(2), stop(2), stop(0)]);
    expect(acc.snapshot().blocks).toHaveLength(3);
    expect(acc.snapshot().open).toBeUndefined();
    const blocks = feed([
      START,
      textStart(0),
      textDelta(0, 'a'),
      textStart(2),
      textDelta(2, 'c'),
      stop(2),
      textStart(1),
      textDelta(1, 'b'),
      stop(1),
      stop(0),
    ]).snapshot().blocks;
    expect(blocks).toStrictEqual([
      { type: 'text', text: 'a' },
      { type: 'text', text: 'b' },
      { type: 'text', text: 'c' },
    ]);
  });

  test('a block restarted at the same index lands after the one it replaced', () => {
    const acc = feed([
      START,
      textStart(0),
      textDelta(0, 'first'),
      textStart(0),
      textDelta(0, 'second'),
      stop(0),
    ]);
    expect(acc.snapshot().blocks).toStrictEqual([
      { type: 'text', text: 'first' },
      { type: 'text', text: 'second' },
    ]);
  });

  test('the open block after its stop is the latest still open, not the first', () => {
    const acc = feed([START, textStart(0), textStart(1), textStart(2), stop(2)]);
    expect(acc.snapshot().open?.index).toBe(1);
    acc.push(stop(0) as unknown as StreamEvent);
    expect(acc.snapshot().open?.index).toBe(1);
  });

  test('a message_delta without delta or usage is malformed and changes nothing', () => {
    const acc = feed([
      START,
      { type: 'message_delta', usage: { output_tokens: 9 } },
      { type: 'message_delta', delta: { stop_reason: 'end_turn' } },
    ]);
    expect(anomalies(acc)).toStrictEqual(
      [1, 2].map((event) => ({
        event,
        kind: 'malformed-event',
        detail: 'message_delta without delta or usage',
      })),
    );
    expect(acc.snapshot().stopReason).toBeNull();
    expect(acc.snapshot().usage).toStrictEqual({ input_tokens: 3, output_tokens: 1 });
  });

  test('a message_delta before message_start is reported and merged into nothing', () => {
    const acc = feed([
      {
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { output_tokens: 9 },
      },
    ]);
    expect(anomalies(acc).map((a) => a.kind)).toStrictEqual(['event-before-message-start']);
    expect(acc.snapshot().usage).toBeUndefined();
    expect(acc.snapshot().stopReason).toBeNull();
  });
});

describe('events that are not the message', () => {
  test('an error event without a type or message is recorded as unknown_error', () => {
    for (const error of [undefined, { type: 7, message: null }]) {
      const acc = feed([START, { type: 'error', error }]);
      expect(acc.snapshot().error).toStrictEqual({ type: 'unknown_error', message: '' });
    }
  });

  test('an unknown event type is kept as it came and counted', () => {
    const future = { type: 'future_event', payload: 1 };
    const acc = feed([START, future, { type: 'ping' }]);
    expect(acc.snapshot().unknownEvents).toStrictEqual([future]);
    expect(acc.snapshot().eventCount).toBe(3);
    expect(acc.snapshot().anomalies).toStrictEqual([]);
  });

  test('a snapshot holds copies: later events do not change its lists or error', () => {
    const acc = feed([START, { type: 'error', error: { type: 'x', message: 'y' } }]);
    const snap = acc.snapshot();
    acc.push({
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'tool_use', id: 't', name: 'f', input: {} },
    } as unknown as StreamEvent);
    acc.push({
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'input_json_delta', partial_json: '{"a":' },
    } as unknown as StreamEvent);
    acc.push({ type: 'content_block_stop', index: 0 } as unknown as StreamEvent);
    expect(acc.snapshot().toolInputIssues).toHaveLength(1);
    expect(snap.toolInputIssues).toStrictEqual([]);
    acc.push({ type: 'future' } as unknown as UnknownStreamEvent);
    acc.push({ type: 'content_block_stop', index: 9 } as unknown as StreamEvent);
    acc.push({ type: 'error', error: { type: 'z', message: 'w' } } as unknown as StreamEvent);
    expect(snap.unknownEvents).toStrictEqual([]);
    expect(snap.anomalies).toStrictEqual([]);
    expect(snap.error).toStrictEqual({ type: 'x', message: 'y' });
  });
});

describe('message fields from message_delta and blocks', () => {
  test('stop reason, sequence and details, context management and input transformations', () => {
    const acc = feed([
      START,
      {
        type: 'message_delta',
        delta: {
          stop_reason: 'stop_sequence',
          stop_sequence: 'END',
          stop_details: { kind: 'x' },
          container: null,
        },
        usage: { output_tokens: 5 },
        context_management: { applied_edits: [] },
        input_transformations: [{ type: 't' }],
      },
    ]);
    const snap = acc.snapshot();
    expect(snap.stopReason).toBe('stop_sequence');
    expect(snap.stopSequence).toBe('END');
    expect(snap.container).toBeNull();
    const message = acc.toMessage() as unknown as Json;
    expect(message.stop_details).toStrictEqual({ kind: 'x' });
    expect(message.context_management).toStrictEqual({ applied_edits: [] });
    expect(message.input_transformations).toStrictEqual([{ type: 't' }]);
    expect(message.stop_reason).toBe('stop_sequence');
  });

  test('a message_delta without context management keeps the message_start one', () => {
    const start = {
      ...START,
      message: { ...(START.message as Json), context_management: { kept: true } },
    };
    const acc = feed([
      start,
      {
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { output_tokens: 5 },
        context_management: null,
      },
    ]);
    expect((acc.toMessage() as unknown as Json).context_management).toStrictEqual({ kept: true });
    expect((acc.toMessage() as unknown as Json).input_transformations).toBeUndefined();
  });

  test('a message_delta without a container or input transformations keeps the message_start ones', () => {
    const container = { id: 'container_A', expires_at: '2026-01-01T00:00:00Z' };
    const start = {
      ...START,
      message: { ...(START.message as Json), container, input_transformations: [{ type: 't' }] },
    };
    for (const delta of [{ container: null }, {}]) {
      const acc = feed([
        start,
        {
          type: 'message_delta',
          delta: { stop_reason: 'end_turn', stop_sequence: null, ...delta },
          usage: { output_tokens: 5 },
        },
      ]);
      expect(acc.snapshot().container).toStrictEqual(container);
      const message = acc.toMessage() as unknown as Json;
      expect(message.container).toStrictEqual(container);
      expect(message.input_transformations).toStrictEqual([{ type: 't' }]);
    }
  });

  test('a message with no usage anywhere has no usage field', () => {
    const acc = feed([{ type: 'message_start', message: { id: 'm', content: [] } }]);
    expect('usage' in acc.toMessage()).toBe(false);
  });

  test('usage copies output_tokens always and the other totals when present', () => {
    const acc = feed([
      START,
      {
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: {
          output_tokens: 8,
          cache_creation_input_tokens: 2,
          server_tool_use: { web_search_requests: 1 },
          iterations: 3,
          fallback_credit: 4,
          output_tokens_details: { reasoning_tokens: 5 },
          other_field: 6,
        },
      },
    ]);
    expect(acc.snapshot().usage).toStrictEqual({
      input_tokens: 3,
      output_tokens: 8,
      cache_creation_input_tokens: 2,
      server_tool_use: { web_search_requests: 1 },
      iterations: 3,
      fallback_credit: 4,
      output_tokens_details: { reasoning_tokens: 5 },
    });
  });

  test('a fallback block relabels the message with the model that served it', () => {
    const acc = feed([
      START,
      {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'fallback', to: { model: 'claude-b' } },
      },
    ]);
    expect(acc.toMessage().model).toBe('claude-b');
    expect(acc.snapshot().message?.model).toBe('claude-a');
  });

  test('a fallback block without a model, or another block with one, keeps the model', () => {
    for (const block of [
      { type: 'fallback', to: { model: 7 } },
      { type: 'fallback', to: 'claude-b' },
      { type: 'fallback' },
      { type: 'future', to: { model: 'claude-b' } },
    ]) {
      const acc = feed([START, { type: 'content_block_start', index: 0, content_block: block }]);
      expect(acc.toMessage().model).toBe('claude-a');
    }
  });

  test('a fallback block before message_start relabels nothing', () => {
    const acc = feed([
      {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'fallback', to: { model: 'claude-b' } },
      },
    ]);
    expect(acc.snapshot().openCount).toBe(1);
    expect(() => acc.toMessage()).toThrow();
  });
});
