/**
 * The message accumulator: stream events in, the partial message out.
 *
 * It keeps what the resume engine plans from (every complete block plus the open one) and
 * what diagnostics report (where a stream died, how many bytes into which block). Work is
 * linear in the message size: deltas are fragment lists joined once (see StreamingBlock)
 * and a tool input is parsed once, at `content_block_stop`.
 *
 * `toMessage()` after `message_stop` equals `@anthropic-ai/sdk`'s `finalMessage()` for the
 * same events (test/message/sdk-equivalence.test.ts holds us to it); the merge rules for
 * `message_delta` below are the SDK's (lib/BetaMessageStream `#accumulateMessage`). Nothing
 * here throws on a strange stream: unknown event, block and delta types are kept, and
 * protocol violations are recorded as anomalies for diagnostics.
 */

import { LifelineError } from '../errors.js';
import type {
  BetaMessage,
  BetaUsage,
  ContentBlock,
  ContentBlockDelta,
  StreamEvent,
  StreamMessage,
  UnknownStreamEvent,
} from '../protocol/index.js';
import { type DeltaRejection, type OpenBlock, StreamingBlock } from './streaming-block.js';
import type { ToolInputIssue } from './tool-input.js';

export type { OpenBlock } from './streaming-block.js';

/** The code-execution container of a message. */
export type MessageContainer = NonNullable<StreamMessage['container']>;

/** Something in the stream that breaks the protocol's order or shape. Kept, never thrown. */
export interface StreamAnomaly {
  /** 0-based position of the event in the stream (pings included). */
  event: number;
  kind:
    | 'event-before-message-start'
    | 'repeated-message-start'
    | 'event-after-message-stop'
    | 'malformed-event'
    | 'block-already-open'
    | 'delta-without-open-block'
    | 'stop-without-open-block'
    | 'delta-type-mismatch'
    | 'malformed-delta'
    | 'block-not-stopped';
  /** One line for a human. */
  detail: string;
}

export interface PartialMessage {
  /** `message_start` seen. */
  started: boolean;
  /** The `message_start` payload as received (content empty). */
  message: StreamMessage | undefined;
  /** Complete blocks in index order, finalized (tool input JSON parsed once at stop). */
  blocks: ContentBlock[];
  /** The block being streamed (the latest started, if several are open at once). */
  open: OpenBlock | undefined;
  /** How many blocks are open (the API streams one at a time, so 0 or 1 normally). */
  openCount: number;
  /** Usage merged as the SDK does: `message_start` usage, then `message_delta` fields. */
  usage: BetaUsage | undefined;
  /** From `message_start.message.container`, replaced by `message_delta.delta.container`. */
  container: MessageContainer | null;
  stopReason: string | null;
  stopSequence: string | null;
  /** `message_stop` seen. */
  stopped: boolean;
  /** The stream's `error` event, if one arrived. */
  error: { type: string; message: string } | undefined;
  /** Events pushed, `ping` and unknown ones included. */
  eventCount: number;
  /** Events of types we do not know, as they came. */
  unknownEvents: UnknownStreamEvent[];
  /** Tool inputs that were not strict JSON at stop. */
  toolInputIssues: ToolInputIssue[];
  anomalies: StreamAnomaly[];
}

/** Thrown by `toMessage()` when no `message_start` has arrived: there is no message yet. */
export class NoMessageError extends LifelineError {
  readonly type = 'no-message' as const;
  constructor(eventCount: number) {
    super(
      `No message to return: ${eventCount} event(s) were pushed but none was message_start, ` +
        'which carries the message id, model and usage. Check `snapshot().started` before ' +
        'calling toMessage(), or feed the stream from its first event.',
    );
    this.name = 'NoMessageError';
  }
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null;
}

function hasStringType(value: unknown): value is Json & { type: string } {
  return isObject(value) && typeof value.type === 'string';
}

const MESSAGE_EVENTS = new Set([
  'message_start',
  'content_block_start',
  'content_block_delta',
  'content_block_stop',
  'message_delta',
  'message_stop',
]);

/**
 * The fields of `message_delta.usage` the SDK copies when present (besides `output_tokens`,
 * always copied). They are whole-message totals, so they overwrite and never add.
 */
const DELTA_USAGE_FIELDS = [
  'input_tokens',
  'cache_creation_input_tokens',
  'cache_read_input_tokens',
  'server_tool_use',
  'iterations',
  'fallback_credit',
  'output_tokens_details',
] as const;

export class MessageAccumulator {
  #startMessage: StreamMessage | undefined;
  /** The message head with `message_delta` merged in; `content` is not used. */
  #head: Json | undefined;
  #usage: Json | undefined;
  /** Complete blocks, kept sorted by index (they complete in index order in practice). */
  #blocks: { index: number; block: ContentBlock }[] = [];
  /** Open blocks in start order (a block started again is re-inserted): the last is the latest. */
  #open = new Map<number, StreamingBlock>();
  #stopped = false;
  #error: { type: string; message: string } | undefined;
  #eventCount = 0;
  #unknownEvents: UnknownStreamEvent[] = [];
  #toolInputIssues: ToolInputIssue[] = [];
  #anomalies: StreamAnomaly[] = [];

  push(event: StreamEvent | UnknownStreamEvent): void {
    const position = this.#eventCount++;
    const e = event as Json & { type: string };
    const type = e.type;

    if (type === 'ping') return;
    if (type === 'error') {
      const error = isObject(e.error) ? e.error : {};
      this.#error = {
        type: typeof error.type === 'string' ? error.type : 'unknown_error',
        message: typeof error.message === 'string' ? error.message : '',
      };
      return;
    }
    if (!MESSAGE_EVENTS.has(type)) {
      this.#unknownEvents.push(event as UnknownStreamEvent);
      return;
    }

    if (type === 'message_start') {
      this.#messageStart(e, position);
      return;
    }
    if (this.#startMessage === undefined) {
      this.#anomaly(position, 'event-before-message-start', `${type} before message_start`);
    }
    if (this.#stopped) {
      // The SDK has already handed out its final message by then; so have we.
      this.#anomaly(position, 'event-after-message-stop', `${type} after message_stop, ignored`);
      return;
    }

    switch (type) {
      case 'content_block_start':
        this.#blockStart(e, position);
        return;
      case 'content_block_delta':
        this.#blockDelta(e, position);
        return;
      case 'content_block_stop':
        this.#blockStop(e, position);
        return;
      case 'message_delta':
        this.#messageDelta(e, position);
        return;
      default:
        this.#messageStop(position);
    }
  }

  #anomaly(event: number, kind: StreamAnomaly['kind'], detail: string): void {
    this.#anomalies.push({ event, kind, detail });
  }

  #messageStart(e: Json, position: number): void {
    if (this.#startMessage !== undefined) {
      // The SDK throws here; a stream with two messages is not ours to merge.
      this.#anomaly(position, 'repeated-message-start', 'a second message_start, ignored');
      return;
    }
    if (!isObject(e.message)) {
      this.#anomaly(position, 'malformed-event', 'message_start without a message object');
      return;
    }
    this.#startMessage = e.message as unknown as StreamMessage;
    this.#head = { ...e.message };
    this.#usage = isObject(e.message.usage) ? { ...e.message.usage } : undefined;
  }

  #blockStart(e: Json, position: number): void {
    const index = e.index;
    if (typeof index !== 'number' || !hasStringType(e.content_block)) {
      this.#anomaly(position, 'malformed-event', 'content_block_start without index or type');
      return;
    }
    if (this.#open.has(index)) {
      this.#anomaly(position, 'block-already-open', `block ${index} started again while open`);
      this.#finishBlock(this.#open.get(index)!);
    }
    const block = new StreamingBlock(index, e.content_block as ContentBlock);
    this.#open.set(index, block);
    // The SDK relabels the message with the model that served it after a fallback.
    const start = e.content_block;
    if (start.type === 'fallback' && this.#head && isObject(start.to)) {
      if (typeof start.to.model === 'string') this.#head.model = start.to.model;
    }
  }

  #blockDelta(e: Json, position: number): void {
    const index = e.index;
    if (typeof index !== 'number' || !hasStringType(e.delta)) {
      this.#anomaly(position, 'malformed-event', 'content_block_delta without index or type');
      return;
    }
    const block = this.#open.get(index);
    if (block === undefined) {
      this.#anomaly(
        position,
        'delta-without-open-block',
        `${e.delta.type} for block ${index}, which is not open; ignored`,
      );
      return;
    }
    const rejection: DeltaRejection | undefined = block.push(e.delta as ContentBlockDelta);
    if (rejection === 'type-mismatch') {
      this.#anomaly(
        position,
        'delta-type-mismatch',
        `${e.delta.type} on a ${block.type} block (index ${index}), not applied`,
      );
    } else if (rejection === 'malformed') {
      this.#anomaly(position, 'malformed-delta', `${e.delta.type} without its payload field`);
    }
  }

  #blockStop(e: Json, position: number): void {
    const index = e.index;
    const block = typeof index === 'number' ? this.#open.get(index) : undefined;
    if (block === undefined) {
      this.#anomaly(position, 'stop-without-open-block', `content_block_stop for ${index}`);
      return;
    }
    this.#finishBlock(block);
  }

  #finishBlock(open: StreamingBlock): void {
    this.#open.delete(open.index);
    const { block, issue } = open.finish();
    if (issue !== undefined) this.#toolInputIssues.push(issue);
    const blocks = this.#blocks;
    let at = blocks.length;
    while (at > 0 && blocks[at - 1]!.index > open.index) at--;
    blocks.splice(at, 0, { index: open.index, block });
  }

  #messageDelta(e: Json, position: number): void {
    const head = this.#head;
    if (head === undefined) return; // like the SDK: nothing to merge into
    const delta = isObject(e.delta) ? e.delta : undefined;
    const usage = isObject(e.usage) ? e.usage : undefined;
    if (delta === undefined || usage === undefined) {
      this.#anomaly(position, 'malformed-event', 'message_delta without delta or usage');
      return;
    }
    head.stop_reason = delta.stop_reason;
    head.stop_sequence = delta.stop_sequence;
    head.stop_details = delta.stop_details;
    if (delta.container != null) head.container = delta.container;
    if (e.context_management != null) head.context_management = e.context_management;
    if (e.input_transformations != null) head.input_transformations = e.input_transformations;
    if (this.#usage === undefined) this.#usage = {};
    this.#usage.output_tokens = usage.output_tokens;
    for (const field of DELTA_USAGE_FIELDS) {
      if (usage[field] != null) this.#usage[field] = usage[field];
    }
  }

  #messageStop(position: number): void {
    // The SDK's final message holds every started block; a block never stopped is closed
    // here so that ours does too (and reported, since the API never does this).
    for (const block of [...this.#open.values()].sort((a, b) => a.index - b.index)) {
      this.#anomaly(position, 'block-not-stopped', `block ${block.index} open at message_stop`);
      this.#finishBlock(block);
    }
    this.#stopped = true;
  }

  /** The block started last among those open (normally the only one). */
  #latestOpen(): StreamingBlock | undefined {
    let latest: StreamingBlock | undefined;
    for (const block of this.#open.values()) latest = block;
    return latest;
  }

  /** The partial message now. Cheap: joins only the open block's fragments. */
  snapshot(): PartialMessage {
    const head = this.#head;
    const container = head?.container;
    return {
      started: this.#startMessage !== undefined,
      message: this.#startMessage,
      blocks: this.#blocks.map((entry) => entry.block),
      open: this.#latestOpen()?.view(),
      openCount: this.#open.size,
      usage: this.#usage === undefined ? undefined : ({ ...this.#usage } as unknown as BetaUsage),
      container: isObject(container) ? (container as unknown as MessageContainer) : null,
      stopReason: typeof head?.stop_reason === 'string' ? head.stop_reason : null,
      stopSequence: typeof head?.stop_sequence === 'string' ? head.stop_sequence : null,
      stopped: this.#stopped,
      error: this.#error === undefined ? undefined : { ...this.#error },
      eventCount: this.#eventCount,
      unknownEvents: this.#unknownEvents.slice(),
      toolInputIssues: this.#toolInputIssues.slice(),
      anomalies: this.#anomalies.slice(),
    };
  }

  /**
   * The message: after `message_stop`, equal to the SDK's `finalMessage()`; before it, the
   * partial message with its complete blocks only (the open block is not included).
   * Blocks are shared with the accumulator, not copied: do not mutate them.
   */
  toMessage(): BetaMessage {
    if (this.#head === undefined) throw new NoMessageError(this.#eventCount);
    const message: Json = {
      ...this.#head,
      content: this.#blocks.map((entry) => entry.block),
    };
    if (this.#usage !== undefined) message.usage = { ...this.#usage };
    return message as unknown as BetaMessage;
  }
}
