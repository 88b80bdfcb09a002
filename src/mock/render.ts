/**
 * Renders a complete message into the stream events the Messages API would send for it.
 *
 * This is the mock's ground truth: a scenario names the message to produce, and this module
 * decides how it is cut into deltas. The same function renders the remainder of a message
 * for a continuation, so a resumed stream and an uninterrupted one share one definition.
 */
import type {
  ContentBlock,
  StreamEvent,
  StreamMessage,
  UnknownStreamEvent,
} from '../protocol/index.js';
import { blockCategory } from '../protocol/index.js';
import { encodeJsonEvent } from '../sse/index.js';

export interface Chunking {
  /** Code points per `text_delta` / `thinking_delta` (default 8). */
  text?: number;
  /** Code points per `input_json_delta` of a tool input (default 64). */
  json?: number;
}

export type RenderedEvent = StreamEvent | UnknownStreamEvent;

/** Splits a string into pieces of at most `size` code points (never inside a surrogate pair). */
export function splitCodePoints(text: string, size: number): string[] {
  if (size <= 0) throw new RangeError(`chunk size must be positive, got ${size}`);
  const out: string[] = [];
  let piece = '';
  let count = 0;
  for (const ch of text) {
    piece += ch;
    count++;
    if (count === size) {
      out.push(piece);
      piece = '';
      count = 0;
    }
  }
  if (piece !== '') out.push(piece);
  return out;
}

type Json = Record<string, unknown>;

/** The events of one content block at stream index `index`. */
export function renderBlock(
  block: ContentBlock,
  index: number,
  chunking: Chunking = {},
): RenderedEvent[] {
  const textSize = chunking.text ?? 8;
  const jsonSize = chunking.json ?? 64;
  const b = block as Json & { type: string };
  const events: RenderedEvent[] = [];
  const start = (content_block: Json) =>
    events.push({ type: 'content_block_start', index, content_block } as RenderedEvent);
  const delta = (d: Json) =>
    events.push({ type: 'content_block_delta', index, delta: d } as RenderedEvent);

  switch (blockCategory(b.type)) {
    case 'text': {
      const { text, citations, ...rest } = b as unknown as Json & {
        text: string;
        citations?: unknown[] | null;
      };
      start({ ...rest, type: 'text', text: '' });
      for (const piece of splitCodePoints(text, textSize))
        delta({ type: 'text_delta', text: piece });
      if (Array.isArray(citations)) {
        for (const citation of citations) delta({ type: 'citations_delta', citation });
      }
      break;
    }
    case 'thinking': {
      const { thinking, signature } = b as unknown as Json & {
        thinking: string;
        signature: string;
      };
      start({ type: 'thinking', thinking: '', signature: '' });
      for (const piece of splitCodePoints(thinking, textSize)) {
        delta({ type: 'thinking_delta', thinking: piece });
      }
      delta({ type: 'signature_delta', signature });
      break;
    }
    case 'tool_input': {
      const { input, ...rest } = b as unknown as Json & { input: unknown };
      start({ ...rest, input: {} });
      const json = JSON.stringify(input ?? {});
      // An empty input streams no delta at all, as the API does for `{}`.
      if (json !== '{}') {
        for (const piece of splitCodePoints(json, jsonSize)) {
          delta({ type: 'input_json_delta', partial_json: piece });
        }
      }
      break;
    }
    default:
      // Server-tool results, redacted thinking and unknown future blocks arrive whole.
      start({ ...b });
  }
  events.push({ type: 'content_block_stop', index } as RenderedEvent);
  return events;
}

export interface RenderOptions extends Chunking {
  /** Emit a `ping` after `message_start`, as the API does (default true). */
  ping?: boolean;
}

/**
 * The events of a whole message: `message_start`, every block, `message_delta`, `message_stop`.
 * `message.usage.output_tokens` is reported in `message_delta`; `message_start` carries 1.
 */
export function renderMessage(
  message: StreamMessage,
  options: RenderOptions = {},
): RenderedEvent[] {
  const { content, stop_reason, stop_sequence, usage, container, ...head } = message;
  const events: RenderedEvent[] = [
    {
      type: 'message_start',
      message: {
        ...head,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...usage, output_tokens: 1 },
        ...(container !== undefined ? { container } : {}),
      },
    } as RenderedEvent,
  ];
  if (options.ping ?? true) events.push({ type: 'ping' });
  content.forEach((block, i) => {
    events.push(...renderBlock(block, i, options));
  });
  events.push({
    type: 'message_delta',
    delta: { stop_reason, stop_sequence, ...(container !== undefined ? { container } : {}) },
    usage: { output_tokens: usage.output_tokens },
  } as RenderedEvent);
  events.push({ type: 'message_stop' });
  return events;
}

/** A message's stream events encoded the way the API writes them, one Buffer per event. */
export function encodeMessageEvents(message: StreamMessage, options: RenderOptions = {}): Buffer[] {
  return renderMessage(message, options).map((event) =>
    Buffer.from(encodeJsonEvent(event.type, event)),
  );
}
