/**
 * The accumulator against the real `@anthropic-ai/sdk`: for the same bytes, `toMessage()`
 * must equal what `finalMessage()` returns, for the beta and the GA message streams. The SDK
 * reads SSE bytes cut at awkward places; the accumulator reads the same text through
 * `parseStreamEvent`. Where the SDK differs by design, the test says so in its name and
 * asserts the exact difference.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { MessageAccumulator, parseStreamEvent } from '../../src/message/index.js';
import { type RenderedEvent, type RenderOptions, renderMessage } from '../../src/mock/render.js';
import type { BetaMessage } from '../../src/protocol/index.js';
import {
  message,
  renderSse,
  type SampleName,
  sampleMessages,
  sdkFinalMessage,
  toSseText,
} from '../fixtures/streams.js';
import {
  byteChunksArb,
  messageArb,
  readSseText,
  renderOptionsArb,
  sdkWire,
  wire,
} from './arbitraries.js';

/** Runs per property (fewer under mutation testing: vitest.mutate.config.ts). */
const PROPERTY_RUNS = Number(process.env.PROPERTY_RUNS ?? 250);

function accumulateSse(sse: string): MessageAccumulator {
  const acc = new MessageAccumulator();
  for (const event of readSseText(sse)) acc.push(parseStreamEvent(event));
  return acc;
}

function accumulateEvents(events: readonly RenderedEvent[]): MessageAccumulator {
  const acc = new MessageAccumulator();
  for (const event of events) acc.push(event);
  return acc;
}

interface Chunking {
  label: string;
  render: RenderOptions;
  bytes: number[] | undefined;
}

const CHUNKINGS: Chunking[] = [
  { label: '1-char deltas, body in one chunk', render: { text: 1, json: 1 }, bytes: undefined },
  { label: 'default deltas, body cut at 3/17/1/256 bytes', render: {}, bytes: [3, 17, 1, 256] },
  {
    label: '37/997-char deltas, body cut at 1/2/5 bytes',
    render: { text: 37, json: 997 },
    bytes: [1, 2, 5],
  },
];

const SAMPLE_NAMES = Object.keys(sampleMessages) as SampleName[];

describe.each(SAMPLE_NAMES)('sample %s', (name) => {
  const sample = sampleMessages[name];

  test.each(CHUNKINGS)('toMessage() equals the beta and GA finalMessage() ($label)', async (c) => {
    const sse = renderSse(sample, c.render);
    const ours = wire(accumulateSse(sse).toMessage());
    const beta = await sdkFinalMessage(sse, { api: 'beta', chunkSizes: c.bytes });
    const ga = await sdkFinalMessage(sse, { api: 'ga', chunkSizes: c.bytes });
    expect(ours).toStrictEqual(sdkWire(beta));
    expect(ours).toStrictEqual(sdkWire(ga));
  });

  test('keeps every block of the rendered message (text, inputs, results)', () => {
    const ours = accumulateEvents(renderMessage(sample)).toMessage();
    // The renderer's text start omits `citations: null` and its message_delta has no
    // stop_details; both are absent on the wire, so compare blocks without them.
    const expected = sample.content.map((block) => {
      if (block.type !== 'text' || block.citations !== null) return block;
      const { citations: _omitted, ...rest } = block;
      return rest;
    });
    expect(wire(ours.content)).toStrictEqual(wire(expected));
    expect(ours.stop_reason).toBe(sample.stop_reason);
    expect(ours.usage).toStrictEqual(sample.usage);
    expect(ours.container).toStrictEqual(sample.container);
  });
});

test('the SDK adds parsed_output: null to its final message (a helper field, not the wire message)', async () => {
  const sse = renderSse(sampleMessages.redactedThinking);
  const beta = (await sdkFinalMessage(sse, { api: 'beta' })) as Record<string, unknown>;
  const ours = accumulateSse(sse).toMessage() as unknown as Record<string, unknown>;
  expect(beta.parsed_output).toBeNull();
  expect('parsed_output' in ours).toBe(false);
  const { parsed_output: _helper, ...rest } = beta;
  expect(wire(ours)).toStrictEqual(wire(rest));
});

test('property: random messages x random chunkings, toMessage() equals the beta and GA finalMessage()', async () => {
  await fc.assert(
    fc.asyncProperty(messageArb, renderOptionsArb, byteChunksArb, async (msg, render, bytes) => {
      const sse = renderSse(msg, render);
      const ours = wire(accumulateSse(sse).toMessage());
      expect(ours).toStrictEqual(
        sdkWire(await sdkFinalMessage(sse, { api: 'beta', chunkSizes: bytes })),
      );
      expect(ours).toStrictEqual(
        sdkWire(await sdkFinalMessage(sse, { api: 'ga', chunkSizes: bytes })),
      );
    }),
    { numRuns: PROPERTY_RUNS },
  );
});

// ---------------------------------------------------------------------------------------------
// Unknown and edge-case wire shapes

/** A message stream built by hand, with extra events spliced in. */
function handStream(blocks: RenderedEvent[][], extra: { afterStart?: RenderedEvent[] } = {}) {
  const base = message('msg_hand', []);
  const head = renderMessage(base);
  const start = head.slice(0, 1);
  const tail = head.slice(-2);
  return [...start, ...(extra.afterStart ?? []), ...blocks.flat(), ...tail];
}

test('an unknown delta type leaves the block as the SDK has it and is kept in unknownDeltas', async () => {
  const events = handStream([
    [
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi ' } },
      {
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'sparkle_delta', sparkle: { level: 3 } },
      } as RenderedEvent,
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'there' } },
    ],
  ]);
  const acc = new MessageAccumulator();
  const stopIndex = events.findIndex((e) => e.type === 'content_block_delta') + 3;
  for (const e of events.slice(0, stopIndex)) acc.push(e);
  expect(acc.snapshot().open?.unknownDeltas).toStrictEqual([
    { type: 'sparkle_delta', sparkle: { level: 3 } },
  ]);
  for (const e of events.slice(stopIndex)) acc.push(e);
  const sse = toSseText(events);
  expect(wire(acc.toMessage())).toStrictEqual(sdkWire(await sdkFinalMessage(sse, { api: 'beta' })));
  expect(acc.toMessage().content).toStrictEqual([{ type: 'text', text: 'Hi there' }]);
});

test('an unknown event type is kept in unknownEvents and changes nothing the SDK sees', async () => {
  const oddity = { type: 'message_annotation', note: 'from the future' } as RenderedEvent;
  const events = handStream(
    [
      [
        { type: 'content_block_start', index: 0, content_block: { type: 'text', text: 'x' } },
        { type: 'content_block_stop', index: 0 },
      ],
    ],
    { afterStart: [oddity] },
  );
  const acc = accumulateSse(toSseText(events));
  expect(acc.snapshot().unknownEvents).toStrictEqual([oddity]);
  expect(wire(acc.toMessage())).toStrictEqual(
    sdkWire(await sdkFinalMessage(toSseText(events), { api: 'beta' })),
  );
});

test('compaction_delta sets a compaction block content as the beta SDK does', async () => {
  const events = handStream([
    [
      {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'compaction', content: null, encrypted_content: null },
      },
      {
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'compaction_delta', content: 'summary so far', encrypted_content: 'enc==' },
      },
      { type: 'content_block_stop', index: 0 },
    ],
  ]);
  const acc = accumulateEvents(events);
  expect(acc.toMessage().content).toStrictEqual([
    { type: 'compaction', content: 'summary so far', encrypted_content: 'enc==' },
  ]);
  expect(wire(acc.toMessage())).toStrictEqual(
    sdkWire(await sdkFinalMessage(toSseText(events), { api: 'beta' })),
  );
});

function toolStream(type: string, fragments: string[], extra: Record<string, unknown> = {}) {
  return handStream([
    [
      {
        type: 'content_block_start',
        index: 0,
        content_block: { type, id: 'tu_1', name: 'f', input: {}, ...extra },
      } as RenderedEvent,
      ...fragments.map(
        (partial_json) =>
          ({
            type: 'content_block_delta',
            index: 0,
            delta: { type: 'input_json_delta', partial_json },
          }) as RenderedEvent,
      ),
      { type: 'content_block_stop', index: 0 },
    ],
  ]);
}

test('a tool input that joins to an empty string becomes {} as in the SDK', async () => {
  const events = toolStream('tool_use', ['', '']);
  const acc = accumulateEvents(events);
  expect((acc.toMessage().content[0] as { input: unknown }).input).toStrictEqual({});
  expect(wire(acc.toMessage())).toStrictEqual(
    sdkWire(await sdkFinalMessage(toSseText(events), { api: 'beta' })),
  );
});

test('a truncated tool input at stop is completed like the SDK partial parser does, and reported', async () => {
  const events = toolStream('tool_use', ['{"city": "Par', 'is", "days": [1, 2']);
  const acc = accumulateEvents(events);
  const block = acc.toMessage().content[0] as { input: unknown };
  expect(block.input).toStrictEqual({ city: 'Paris', days: [1] });
  expect(wire(acc.toMessage())).toStrictEqual(
    sdkWire(await sdkFinalMessage(toSseText(events), { api: 'beta' })),
  );
  expect(acc.snapshot().toolInputIssues).toMatchObject([{ index: 0, kind: 'repaired' }]);
});

test('an unparseable tool input: the SDK rejects finalMessage(); we keep {} like it, with the raw text kept', async () => {
  const raw = '{"a": 1} trailing garbage';
  const events = toolStream('tool_use', [raw.slice(0, 5), raw.slice(5)]);
  const acc = accumulateEvents(events);
  const block = acc.toMessage().content[0] as unknown as Record<string, unknown>;
  expect(block.input).toStrictEqual({});
  expect(block.__json_buf).toBe(raw);
  expect(Object.keys(block)).not.toContain('__json_buf');
  expect(acc.snapshot().toolInputIssues).toMatchObject([
    { index: 0, kind: 'invalid', length: raw.length, excerpt: raw },
  ]);
  await expect(sdkFinalMessage(toSseText(events), { api: 'beta' })).rejects.toThrow(
    /Unable to parse tool parameter JSON/,
  );
});

test('a future *_tool_use block keeps its streamed input; the SDK drops it (input stays {})', async () => {
  const events = toolStream('widget_tool_use', ['{"knob": ', '11}']);
  const ours = accumulateEvents(events).toMessage();
  const beta = sdkWire(await sdkFinalMessage(toSseText(events), { api: 'beta' })) as BetaMessage;
  expect(ours.content[0]).toStrictEqual({
    type: 'widget_tool_use',
    id: 'tu_1',
    name: 'f',
    input: { knob: 11 },
  });
  expect(beta.content[0]).toStrictEqual({ ...ours.content[0], input: {} });
  expect({ ...(wire(ours) as object), content: [] }).toStrictEqual({ ...beta, content: [] });
});

test('mcp_tool_use: equals the beta SDK; the GA SDK does not track it and leaves input {}', async () => {
  const events = toolStream('mcp_tool_use', ['{"q": "status"}'], { server_name: 'ops' });
  const ours = wire(accumulateEvents(events).toMessage()) as BetaMessage;
  const sse = toSseText(events);
  expect(ours).toStrictEqual(sdkWire(await sdkFinalMessage(sse, { api: 'beta' })));
  const ga = sdkWire(await sdkFinalMessage(sse, { api: 'ga' })) as BetaMessage;
  expect(ga.content[0]).toStrictEqual({ ...ours.content[0], input: {} });
});
