/**
 * Test helpers for the accumulator tests: a fast-check grammar of messages and chunkings, and
 * a minimal SSE reader for the LF-only text our encoder writes (the full WHATWG decoder lives
 * in src/sse and is tested there).
 */
import fc from 'fast-check';
import type { RenderOptions } from '../../src/mock/render.js';
import type { BetaMessage, ContentBlock } from '../../src/protocol/index.js';
import type { SseEvent } from '../../src/sse/index.js';
import { message, usage } from '../fixtures/streams.js';

/** Splits encoder output (`event: T\ndata: D\n\n` ...) into SSE events. LF-only on purpose. */
export function readSseText(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const frame of text.split('\n\n')) {
    if (frame === '') continue;
    let event: string | undefined;
    const data: string[] = [];
    for (const line of frame.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice('event: '.length);
      else if (line.startsWith('data: ')) data.push(line.slice('data: '.length));
    }
    events.push({ event, data: data.join('\n') });
  }
  return events;
}

/** JSON round trip: what a block or message is on the wire (drops undefined, non-enumerables). */
export function wire<T>(value: T): unknown {
  return JSON.parse(JSON.stringify(value));
}

/**
 * The SDK's `finalMessage()` as a wire message: the SDK adds `parsed_output: null` (its
 * structured-output helper field, not part of the API's message), which we drop.
 */
export function sdkWire(value: unknown): unknown {
  const copy = wire(value) as Record<string, unknown>;
  delete copy.parsed_output;
  return copy;
}

// Text the model may write: any code points (astral included), plus plain words.
const text = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ maxLength: 60 }),
  fc.constantFrom('', ' ', 'Hello, world.', '🦀 日本語 e\u0301\n\n'),
);

const toolInput = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), {
  maxKeys: 4,
}) as fc.Arbitrary<Record<string, unknown>>;

const id = fc.stringMatching(/^[A-Za-z0-9]{4,12}$/);

const citation = fc.record({
  type: fc.constant('char_location' as const),
  cited_text: text,
  document_index: fc.nat(5),
  document_title: fc.option(text, { nil: null }),
  start_char_index: fc.nat(100),
  end_char_index: fc.nat(100),
  file_id: fc.constant(null),
});

const textBlock: fc.Arbitrary<ContentBlock[]> = fc
  .record({ text, citations: fc.option(fc.array(citation, { maxLength: 2 }), { nil: null }) })
  .map(({ text: t, citations }) => [{ type: 'text', text: t, citations }]);

const thinkingBlock: fc.Arbitrary<ContentBlock[]> = fc
  .record({ thinking: text, signature: fc.base64String({ minLength: 4, maxLength: 40 }) })
  .map((b) => [{ type: 'thinking', ...b }]);

const redactedBlock: fc.Arbitrary<ContentBlock[]> = fc
  .base64String({ minLength: 4, maxLength: 40 })
  .map((data) => [{ type: 'redacted_thinking', data }]);

const clientToolUse: fc.Arbitrary<ContentBlock[]> = fc
  .record({ id, name: fc.constantFrom('get_weather', 'write_file', 'noop'), input: toolInput })
  .map(({ id: toolId, name, input }) => [{ type: 'tool_use', id: `toolu_${toolId}`, name, input }]);

/** A server tool use and its result, as the code-execution tool streams them. */
const serverToolPair: fc.Arbitrary<ContentBlock[]> = fc
  .record({ id, code: text, stdout: text, returnCode: fc.nat(2) })
  .map(({ id: toolId, code, stdout, returnCode }) => [
    {
      type: 'server_tool_use',
      id: `srvtoolu_${toolId}`,
      name: 'bash_code_execution',
      input: { command: code },
    },
    {
      type: 'bash_code_execution_tool_result',
      tool_use_id: `srvtoolu_${toolId}`,
      content: {
        type: 'bash_code_execution_result',
        stdout,
        stderr: '',
        return_code: returnCode,
        content: [],
      },
    },
  ]);

/** A block type from the future: it arrives whole, with fields we have never seen. */
const futureBlock: fc.Arbitrary<ContentBlock[]> = fc
  .record({ kind: fc.stringMatching(/^[a-z]{3,10}$/), payload: fc.jsonValue({ maxDepth: 2 }) })
  .map(({ kind, payload }) => [{ type: `future_${kind}`, payload } as unknown as ContentBlock]);

/** Blocks every SDK flavour (beta and GA) accumulates the same way. */
export const commonBlocks: fc.Arbitrary<ContentBlock[]> = fc
  .array(
    fc.oneof(
      { weight: 4, arbitrary: textBlock },
      { weight: 2, arbitrary: thinkingBlock },
      { weight: 1, arbitrary: redactedBlock },
      { weight: 3, arbitrary: clientToolUse },
      { weight: 2, arbitrary: serverToolPair },
      { weight: 1, arbitrary: futureBlock },
    ),
    { maxLength: 6 },
  )
  .map((groups) => groups.flat());

export const messageArb: fc.Arbitrary<BetaMessage> = fc
  .record({
    content: commonBlocks,
    id,
    stopReason: fc.constantFrom('end_turn', 'tool_use', 'max_tokens', 'pause_turn') as fc.Arbitrary<
      BetaMessage['stop_reason']
    >,
    container: fc.option(
      fc.record({
        id: id.map((s) => `container_${s}`),
        expires_at: fc.constant('2026-01-01T00:00:00Z'),
        skills: fc.constant(null),
      }),
      { nil: null },
    ),
    input: fc.nat(100_000),
    output: fc.nat(100_000),
  })
  .map(({ content, id: msgId, stopReason, container, input, output }) =>
    message(`msg_${msgId}`, content, {
      stop_reason: stopReason,
      container,
      usage: usage(input, output),
    }),
  );

export const renderOptionsArb: fc.Arbitrary<RenderOptions> = fc.record({
  text: fc.integer({ min: 1, max: 24 }),
  json: fc.integer({ min: 1, max: 48 }),
  ping: fc.boolean(),
});

export const byteChunksArb: fc.Arbitrary<number[]> = fc.array(fc.integer({ min: 1, max: 97 }), {
  minLength: 1,
  maxLength: 5,
});
