/**
 * Helpers shared by the built-in scenario builders: a message with the API's fields, and the
 * positions of events in its rendered stream (so a fault can be placed "inside the second
 * input_json_delta of block 38" rather than at a hand-counted index that drifts).
 */
import type { ContentBlock, StreamMessage } from '../../protocol/index.js';
import type { ContinuationBehaviour } from '../continuation.js';
import type { Fault, FaultMap } from '../faults.js';
import {
  type Chunking,
  encodeMessageEvents,
  type RenderedEvent,
  renderMessage,
} from '../render.js';
import type { ScenarioFile } from '../scenario.js';
import { fixtureId, type Rng } from './prose.js';

export interface MessageSpec {
  model: string;
  content: unknown[];
  stopReason: 'end_turn' | 'tool_use' | 'max_tokens' | 'stop_sequence' | 'pause_turn';
  inputTokens: number;
  container?: { id: string; expires_at: string; skills: unknown[] | null };
}

export function buildMessage(next: Rng, spec: MessageSpec): StreamMessage {
  const content = spec.content as ContentBlock[];
  const outputBytes = Buffer.byteLength(JSON.stringify(content));
  return {
    id: fixtureId(next, 'msg_01', 22),
    type: 'message',
    role: 'assistant',
    model: spec.model,
    content,
    stop_reason: spec.stopReason,
    stop_sequence: null,
    usage: {
      input_tokens: spec.inputTokens,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: Math.ceil(outputBytes / 4),
    },
    ...(spec.container !== undefined ? { container: spec.container } : {}),
  } as unknown as StreamMessage;
}

/** The rendered events and their encoded bytes, index for index. */
export interface RenderedStream {
  events: RenderedEvent[];
  encoded: Buffer[];
}

export function renderStream(message: StreamMessage, chunking: Chunking): RenderedStream {
  return {
    events: renderMessage(message, chunking),
    encoded: encodeMessageEvents(message, chunking),
  };
}

type EventPredicate = (event: Record<string, unknown>) => boolean;

/** The index of the first event matching `predicate` at or after `from`. */
export function findEvent(stream: RenderedStream, predicate: EventPredicate, from = 0): number {
  for (let i = from; i < stream.events.length; i++) {
    if (predicate(stream.events[i] as unknown as Record<string, unknown>)) return i;
  }
  throw new Error('built-in scenario: no event matches');
}

export function deltaOf(event: Record<string, unknown>): Record<string, unknown> | undefined {
  return event.type === 'content_block_delta'
    ? (event.delta as Record<string, unknown>)
    : undefined;
}

/** Matches `content_block_delta` events of block `index` with delta type `type`. */
export function isDelta(index: number, type: string): EventPredicate {
  return (event) => event.index === index && deltaOf(event)?.type === type;
}

/** A drop `bytes` into event `event` (half of it when `bytes` is omitted). */
export function dropInside(stream: RenderedStream, event: number, bytes?: number): Fault {
  const length = stream.encoded[event]!.length;
  return { kind: 'drop', event, bytes: bytes ?? Math.floor(length / 2) };
}

export interface ScenarioSpec extends ContinuationBehaviour {
  name: string;
  description: string;
  message: StreamMessage;
  chunking?: { text?: number; json?: number };
  betas?: string[];
  requireBetas?: boolean;
  eventsPerWrite?: number;
  prefill?: 'auto' | 'allowed' | 'refused';
  continuationThinking?: boolean;
  faults: FaultMap;
}

/**
 * A scenario file object with every field written out (the files document the format); the
 * continuation behaviours beyond `restate` only when set (one per scenario at most).
 */
export function scenarioFile(spec: ScenarioSpec): ScenarioFile {
  return {
    name: spec.name,
    description: spec.description,
    betas: spec.betas ?? [],
    requireBetas: spec.requireBetas ?? false,
    chunking: { text: spec.chunking?.text ?? 8, json: spec.chunking?.json ?? 64 },
    eventsPerWrite: spec.eventsPerWrite ?? 1,
    prefill: spec.prefill ?? 'auto',
    restate: spec.restate ?? 0,
    ...(spec.restartWord !== undefined ? { restartWord: spec.restartWord } : {}),
    ...(spec.restateChars !== undefined ? { restateChars: spec.restateChars } : {}),
    ...(spec.restateLines !== undefined ? { restateLines: spec.restateLines } : {}),
    ...(spec.restateAll !== undefined ? { restateAll: spec.restateAll } : {}),
    ...(spec.reopenFence !== undefined ? { reopenFence: spec.reopenFence } : {}),
    ...(spec.preamble !== undefined ? { preamble: spec.preamble } : {}),
    continuationThinking: spec.continuationThinking ?? false,
    faults: spec.faults,
    message: spec.message as unknown as ScenarioFile['message'],
  };
}
