/**
 * The accumulator's partial message, event by event: what a resume planner and the analyze
 * command read while a stream is still running or after it died.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { MessageAccumulator, NoMessageError } from '../../src/message/index.js';
import { type RenderedEvent, renderMessage } from '../../src/mock/render.js';
import {
  clientToolLargeInput,
  message,
  sdkFinalMessage,
  serverToolLoop,
  textWithCitations,
  thinkingAndText,
  toSseText,
  unknownFutureBlock,
  usage,
} from '../fixtures/streams.js';
import { messageArb, renderOptionsArb, sdkWire, wire } from './arbitraries.js';

/** Runs per property (fewer under mutation testing: vitest.mutate.config.ts). */
const PROPERTY_RUNS = Number(process.env.PROPERTY_RUNS ?? 200);

type Json = Record<string, unknown>;

function feed(events: readonly RenderedEvent[]): MessageAccumulator {
  const acc = new MessageAccumulator();
  for (const event of events) acc.push(event);
  return acc;
}

/** The payload a delta adds to its block's text, as the test computes it independently. */
function payloadOf(delta: Json): string {
  for (const key of ['text', 'thinking', 'partial_json']) {
    if (typeof delta[key] === 'string') return delta[key] as string;
  }
  return '';
}

const START = (index: number, content_block: Json) =>
  ({ type: 'content_block_start', index, content_block }) as RenderedEvent;
const DELTA = (index: number, delta: Json) =>
  ({ type: 'content_block_delta', index, delta }) as RenderedEvent;
const STOP = (index: number) => ({ type: 'content_block_stop', index }) as RenderedEvent;

/** message_start (+ ping) of a message with no content, and its message_delta + message_stop. */
function frame(msg = message('msg_frame', [])) {
  const events = renderMessage(msg);
  return { head: events.slice(0, 2), tail: events.slice(-2) };
}

describe('snapshot at every event boundary', () => {
  test('property: open text is the deltas so far, blocks are the completed prefix, bytes are UTF-8', () => {
    fc.assert(
      fc.property(messageArb, renderOptionsArb, (msg, options) => {
        const events = renderMessage(msg, options);
        const final = feed(events).toMessage().content;
        const acc = new MessageAccumulator();
        let sofar = '';
        let deltas = 0;
        let completed = 0;
        events.forEach((event, i) => {
          acc.push(event);
          const e = event as Json;
          if (e.type === 'content_block_start') {
            sofar = '';
            deltas = 0;
          } else if (e.type === 'content_block_delta') {
            sofar += payloadOf(e.delta as Json);
            deltas++;
          } else if (e.type === 'content_block_stop') completed++;

          const snap = acc.snapshot();
          expect(snap.eventCount).toBe(i + 1);
          expect(wire(snap.blocks)).toStrictEqual(wire(final.slice(0, completed)));
          if (e.type === 'content_block_start' || e.type === 'content_block_delta') {
            expect(snap.open?.text).toBe(sofar);
            expect(snap.open?.receivedBytes).toBe(Buffer.byteLength(sofar, 'utf8'));
            expect(snap.open?.deltaCount).toBe(deltas);
          } else {
            expect(snap.open).toBeUndefined();
          }
        });
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });

  test('inside a large tool input: the open block is the tool, with the JSON text so far', () => {
    const events = renderMessage(clientToolLargeInput, { json: 64 });
    const toolStart = events.findIndex(
      (e) => e.type === 'content_block_start' && (e as Json).index === 1,
    );
    const snap = feed(events.slice(0, toolStart + 11)).snapshot();
    const input = (clientToolLargeInput.content[1] as unknown as { input: unknown }).input;
    // The renderer cuts 64 code points per delta; the input has multi-byte characters.
    const prefix = [...JSON.stringify(input)].slice(0, 640).join('');
    expect(snap.open).toMatchObject({
      index: 1,
      type: 'tool_use',
      category: 'tool_input',
      text: prefix,
      deltaCount: 10,
      lastDeltaType: 'input_json_delta',
      receivedBytes: Buffer.byteLength(prefix, 'utf8'),
    });
    expect(snap.blocks).toStrictEqual([
      { type: 'text', text: 'I will write the analysis script now.' },
    ]);
  });

  test('receivedBytes counts UTF-8 bytes, not UTF-16 units', () => {
    const { head } = frame();
    const acc = feed([
      ...head,
      START(0, { type: 'text', text: '' }),
      DELTA(0, { type: 'text_delta', text: '🦀é' }),
      DELTA(0, { type: 'text_delta', text: '日a' }),
    ]);
    // 🦀 = 4 bytes, é = 2, 日 = 3, a = 1
    expect(acc.snapshot().open?.receivedBytes).toBe(10);
    expect(acc.snapshot().open?.text).toBe('🦀é日a');
  });

  test('a thinking block has no signature until signature_delta arrives', () => {
    const events = renderMessage(thinkingAndText, { text: 200 });
    const signatureAt = events.findIndex(
      (e) =>
        e.type === 'content_block_delta' &&
        (e as unknown as { delta: Json }).delta.type === 'signature_delta',
    );
    expect(feed(events.slice(0, signatureAt)).snapshot().open).toMatchObject({
      type: 'thinking',
      signature: undefined,
    });
    expect(feed(events.slice(0, signatureAt + 1)).snapshot().open).toMatchObject({
      type: 'thinking',
      signature: 'EqQBCkYIBxgCKkBsig+nature/with==padding',
      lastDeltaType: 'signature_delta',
    });
  });

  test('citations_delta citations are listed on the open text block in order', () => {
    const events = renderMessage(textWithCitations);
    const firstStop = events.findIndex((e) => e.type === 'content_block_stop');
    const open = feed(events.slice(0, firstStop)).snapshot().open;
    const expected = (textWithCitations.content[0] as { citations: unknown[] }).citations;
    expect(open?.citations).toStrictEqual(expected);
  });

  test('a snapshot does not change when more events arrive', () => {
    const events = renderMessage(serverToolLoop);
    const acc = feed(events.slice(0, 8));
    const before = acc.snapshot();
    const blocksBefore = before.blocks.length;
    const textBefore = before.open?.text;
    for (const event of events.slice(8)) acc.push(event);
    expect(before.blocks.length).toBe(blocksBefore);
    expect(before.open?.text).toBe(textBefore);
    expect(acc.snapshot().blocks.length).toBe(serverToolLoop.content.length);
  });
});

describe('message fields', () => {
  test('the container comes from message_start and is replaced by message_delta', () => {
    const first = { id: 'container_A', expires_at: '2026-01-01T00:00:00Z', skills: null };
    const second = { id: 'container_B', expires_at: '2026-01-02T00:00:00Z', skills: null };
    const events = renderMessage(message('msg_c', [], { container: first }));
    const acc = feed(events.slice(0, 2));
    expect(acc.snapshot().container).toStrictEqual(first);
    acc.push({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null, container: second },
      usage: { output_tokens: 5 },
    } as RenderedEvent);
    expect(acc.snapshot().container).toStrictEqual(second);
    expect(acc.toMessage().container).toStrictEqual(second);
  });

  test('usage: message_start values, then message_delta fields overwrite unless null', () => {
    const start = usage(100, 1);
    const acc = feed(renderMessage(message('msg_u', [], { usage: start })).slice(0, 2));
    acc.push({
      type: 'message_delta',
      delta: { stop_reason: 'max_tokens', stop_sequence: null },
      usage: { output_tokens: 77, input_tokens: 120, cache_read_input_tokens: null },
    } as RenderedEvent);
    const snap = acc.snapshot();
    expect(snap.usage).toStrictEqual({ ...start, output_tokens: 77, input_tokens: 120 });
    expect(snap.stopReason).toBe('max_tokens');
    expect(snap.stopSequence).toBeNull();
  });

  test('ping only counts', () => {
    const { head } = frame();
    const acc = feed(head);
    const before = acc.snapshot();
    acc.push({ type: 'ping' });
    const after = acc.snapshot();
    expect(after.eventCount).toBe(before.eventCount + 1);
    expect({ ...after, eventCount: 0 }).toStrictEqual({ ...before, eventCount: 0 });
  });

  test('an error event is recorded with its type and message', () => {
    const { head } = frame();
    const acc = feed(head);
    acc.push({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    expect(acc.snapshot().error).toStrictEqual({ type: 'overloaded_error', message: 'Overloaded' });
    expect(acc.snapshot().stopped).toBe(false);
  });

  test('message_stop sets stopped', () => {
    const acc = feed(renderMessage(message('msg_s', [])));
    expect(acc.snapshot().error).toBeUndefined();
    expect(acc.snapshot().stopped).toBe(true);
    expect(acc.snapshot().started).toBe(true);
  });
});

describe('toMessage()', () => {
  test('before message_stop it is the partial message without the open block', () => {
    const events = renderMessage(unknownFutureBlock, { text: 4 });
    const lastStart = events.findLastIndex((e) => e.type === 'content_block_start');
    const msg = feed(events.slice(0, lastStart + 2)).toMessage();
    expect(msg.content).toStrictEqual([
      { type: 'text', text: 'Before the widget.' },
      unknownFutureBlock.content[1],
    ]);
    expect(msg.stop_reason).toBeNull();
    expect(msg.id).toBe(unknownFutureBlock.id);
  });

  test('before message_start it throws a NoMessageError that says what to check', () => {
    const acc = new MessageAccumulator();
    acc.push({ type: 'ping' });
    expect(() => acc.toMessage()).toThrow(NoMessageError);
    expect(() => acc.toMessage()).toThrow(
      'No message to return: 1 event(s) were pushed but none was message_start, which ' +
        'carries the message id, model and usage. Check `snapshot().started` before calling ' +
        'toMessage(), or feed the stream from its first event.',
    );
    let error: unknown;
    try {
      acc.toMessage();
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ name: 'NoMessageError', type: 'no-message' });
  });

  test('an unknown block type keeps its start payload as is and completes at stop', () => {
    const widget = { type: 'future_widget', id: 'w1', nested: { deep: [1, { x: null }] } };
    const { head, tail } = frame();
    const acc = feed([...head, START(0, widget)]);
    expect(acc.snapshot().open?.start).toBe(widget);
    expect(acc.snapshot().open?.category).toBe('unknown');
    acc.push(STOP(0));
    for (const event of tail) acc.push(event);
    expect(acc.toMessage().content).toStrictEqual([widget]);
  });
});

describe('streams that break the protocol', () => {
  test('two blocks open at once: no crash, open is the latest, blocks stay in index order', () => {
    const { head, tail } = frame();
    const acc = feed([
      ...head,
      START(0, { type: 'text', text: '' }),
      DELTA(0, { type: 'text_delta', text: 'zero' }),
      START(1, { type: 'text', text: '' }),
      DELTA(1, { type: 'text_delta', text: 'one' }),
      DELTA(0, { type: 'text_delta', text: '+' }),
    ]);
    expect(acc.snapshot()).toMatchObject({ openCount: 2, open: { index: 1, text: 'one' } });
    acc.push(STOP(1));
    expect(acc.snapshot()).toMatchObject({ openCount: 1, open: { index: 0, text: 'zero+' } });
    acc.push(STOP(0));
    for (const event of tail) acc.push(event);
    expect(acc.toMessage().content).toStrictEqual([
      { type: 'text', text: 'zero+' },
      { type: 'text', text: 'one' },
    ]);
  });

  test('a delta for a block that is not open is ignored and reported', () => {
    const { head } = frame();
    const acc = feed([...head, DELTA(3, { type: 'text_delta', text: 'stray' })]);
    expect(acc.snapshot().anomalies).toStrictEqual([
      {
        event: 2,
        kind: 'delta-without-open-block',
        detail: 'text_delta for block 3, which is not open; ignored',
      },
    ]);
    expect(acc.snapshot().open).toBeUndefined();
  });

  test('a delta that does not fit its block type is not applied, as in the SDK', () => {
    const { head } = frame();
    const acc = feed([
      ...head,
      START(0, { type: 'text', text: '' }),
      DELTA(0, { type: 'input_json_delta', partial_json: '{"a"' }),
    ]);
    const snap = acc.snapshot();
    expect(snap.open).toMatchObject({ text: '', receivedBytes: 4, deltaCount: 1 });
    expect(snap.anomalies.map((a) => a.kind)).toStrictEqual(['delta-type-mismatch']);
  });

  test('events after message_stop do not change the message', () => {
    const acc = feed(renderMessage(message('msg_after', [])));
    const before = acc.toMessage();
    acc.push(START(0, { type: 'text', text: 'late' }));
    expect(acc.toMessage()).toStrictEqual(before);
    expect(acc.snapshot().anomalies).toStrictEqual([
      {
        event: 4,
        kind: 'event-after-message-stop',
        detail: 'content_block_start after message_stop, ignored',
      },
    ]);
  });

  test('a block still open at message_stop is closed into the message, as the SDK has it', async () => {
    const { head, tail } = frame();
    const events = [
      ...head,
      START(0, { type: 'text', text: '' }),
      DELTA(0, { type: 'text_delta', text: 'never stopped' }),
      ...tail,
    ];
    const acc = feed(events);
    expect(wire(acc.toMessage())).toStrictEqual(
      sdkWire(await sdkFinalMessage(toSseText(events), { api: 'beta' })),
    );
    expect(acc.snapshot().anomalies.map((a) => a.kind)).toStrictEqual(['block-not-stopped']);
  });
});
