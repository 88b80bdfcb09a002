/**
 * The stream tally: one attempt's events, summarised as they arrive, into the facts of an
 * incident note (blocks completed, the open block and how far into it, tool input sizes).
 *
 * It works from event summaries rather than whole events because a trace records only the
 * summary (type, index, block/delta type, payload bytes); a capture's events are summarised
 * the same way, so both sources give the same numbers. Constant work per event.
 */
import type { OpenBlockFacts, StreamFacts, ToolInputFacts } from './incident.js';

/** One SSE event, as much of it as the note needs. */
export interface EventSummary {
  event: string;
  /** Raw bytes of the event, SSE framing included. */
  bytes: number;
  index?: number | undefined;
  /** On `content_block_start`. */
  blockType?: string | undefined;
  toolName?: string | undefined;
  /** On `content_block_start` of a tool block: bytes of an input that came whole in the start. */
  startInputBytes?: number | undefined;
  /** On `content_block_delta`. */
  deltaType?: string | undefined;
  payloadBytes?: number | undefined;
  /** On `message_delta`. */
  stopReason?: string | undefined;
  /** On `error`. */
  errorType?: string | undefined;
  errorMessage?: string | undefined;
  /** ms since the request started (traces). */
  t?: number | undefined;
  /** The delta's payload, or the started block's JSON (only when content is kept). */
  content?: string | undefined;
}

/** Characters of a block's content a report keeps (the rest is counted, not kept). */
export const CONTENT_KEPT_CHARS = 2_000;

/** One content block of an attempt, for the report's timeline. */
export interface BlockSpan {
  index: number;
  blockType: string;
  toolName: string | undefined;
  /** The last delta type received. */
  deltaType: string | undefined;
  deltaCount: number;
  /** UTF-8 bytes of its delta payloads (signatures excluded), or of an input that came whole. */
  payloadBytes: number;
  /** Raw bytes of its events (start, deltas, stop), SSE framing included. */
  eventBytes: number;
  /** ms since the request started: its start event and its last event (traces). */
  startT: number | undefined;
  endT: number | undefined;
  /** It reached content_block_stop. */
  complete: boolean;
  /** The first CONTENT_KEPT_CHARS of its content, only when content is kept. */
  content: string | undefined;
}

interface Open {
  index: number;
  blockType: string;
  toolName: string | undefined;
  deltaType: string | undefined;
  receivedBytes: number;
  inputBytes: number;
  startInputBytes: number;
  deltaCount: number;
}

/** Block types whose input streams as `input_json_delta` (see protocol blockCategory). */
function isToolInputType(type: string): boolean {
  return (
    type === 'tool_use' ||
    type === 'server_tool_use' ||
    type === 'mcp_tool_use' ||
    type.endsWith('_tool_use')
  );
}

export class StreamTally {
  readonly attempt: number;
  #events = 0;
  #bytes = 0;
  #messageStart = false;
  #messageDelta = false;
  #messageStop = false;
  #stopReason: string | undefined;
  #completed = 0;
  #blockTypes: Record<string, number> = {};
  /** Open blocks by index; the API streams one at a time, but nothing here assumes it. */
  #open = new Map<number, Open>();
  #latest: Open | undefined;
  #toolInputs: ToolInputFacts[] = [];
  #lastEvent: string | undefined;
  #error: { type: string; message: string | undefined } | undefined;
  #spans: BlockSpan[] = [];
  #openSpans = new Map<number, BlockSpan>();
  readonly #keepContent: boolean;

  constructor(attempt: number, options: { keepContent?: boolean } = {}) {
    this.attempt = attempt;
    this.#keepContent = options.keepContent === true;
  }

  push(e: EventSummary): void {
    this.#events++;
    this.#bytes += e.bytes;
    this.#lastEvent = e.event;
    this.#span(e);
    switch (e.event) {
      case 'message_start':
        this.#messageStart = true;
        return;
      case 'content_block_start': {
        if (e.index === undefined) return;
        const open: Open = {
          index: e.index,
          blockType: e.blockType ?? 'unknown',
          toolName: e.toolName,
          deltaType: undefined,
          receivedBytes: 0,
          inputBytes: 0,
          startInputBytes: e.startInputBytes ?? 0,
          deltaCount: 0,
        };
        this.#open.set(e.index, open);
        this.#latest = open;
        return;
      }
      case 'content_block_delta': {
        const open = e.index === undefined ? undefined : this.#open.get(e.index);
        if (open === undefined) return;
        open.deltaCount++;
        open.deltaType = e.deltaType;
        const payload = e.payloadBytes ?? 0;
        // A signature is not content the user waits for; keep it out of "bytes into the block".
        if (e.deltaType !== 'signature_delta') open.receivedBytes += payload;
        if (e.deltaType === 'input_json_delta') open.inputBytes += payload;
        return;
      }
      case 'content_block_stop': {
        const open = e.index === undefined ? undefined : this.#open.get(e.index);
        if (open === undefined) return;
        this.#open.delete(open.index);
        if (this.#latest === open) {
          let latest: Open | undefined;
          for (const block of this.#open.values()) latest = block;
          this.#latest = latest;
        }
        this.#completed++;
        this.#blockTypes[open.blockType] = (this.#blockTypes[open.blockType] ?? 0) + 1;
        if (isToolInputType(open.blockType)) {
          this.#toolInputs.push({
            index: open.index,
            blockType: open.blockType,
            toolName: open.toolName,
            // A streamed input is its deltas; one that came whole is its start payload.
            bytes: open.inputBytes > 0 ? open.inputBytes : open.startInputBytes,
          });
        }
        return;
      }
      case 'message_delta':
        this.#messageDelta = true;
        if (e.stopReason !== undefined) this.#stopReason = e.stopReason;
        return;
      case 'message_stop':
        this.#messageStop = true;
        return;
      case 'error':
        this.#error = { type: e.errorType ?? 'unknown_error', message: e.errorMessage };
        return;
      default:
        return;
    }
  }

  /** Keeps the timeline's block spans (constant work per event). */
  #span(e: EventSummary): void {
    if (e.index === undefined) return;
    if (e.event === 'content_block_start') {
      const span: BlockSpan = {
        index: e.index,
        blockType: e.blockType ?? 'unknown',
        toolName: e.toolName,
        deltaType: undefined,
        deltaCount: 0,
        payloadBytes: e.startInputBytes ?? 0,
        eventBytes: e.bytes,
        startT: e.t,
        endT: e.t,
        complete: false,
        content: undefined,
      };
      this.#spans.push(span);
      this.#openSpans.set(e.index, span);
      if (this.#keepContent && e.content !== undefined) span.content = keep(undefined, e.content);
      return;
    }
    const span = this.#openSpans.get(e.index);
    if (span === undefined) return;
    span.eventBytes += e.bytes;
    span.endT = e.t ?? span.endT;
    if (e.event === 'content_block_delta') {
      span.deltaCount++;
      span.deltaType = e.deltaType;
      if (e.deltaType !== 'signature_delta') {
        // A delta-streamed input replaces the empty `{}` of its start.
        if (span.deltaCount === 1 && e.deltaType === 'input_json_delta') span.payloadBytes = 0;
        span.payloadBytes += e.payloadBytes ?? 0;
        if (this.#keepContent && e.content !== undefined) {
          span.content = keep(span.deltaCount === 1 ? undefined : span.content, e.content);
        }
      }
    } else if (e.event === 'content_block_stop') {
      span.complete = true;
      this.#openSpans.delete(e.index);
    }
  }

  /** The attempt's content blocks in stream order (copies). */
  spans(): BlockSpan[] {
    return this.#spans.map((span) => ({ ...span }));
  }

  get events(): number {
    return this.#events;
  }

  get bytes(): number {
    return this.#bytes;
  }

  facts(tail: StreamFacts['tail']): StreamFacts {
    const latest = this.#latest;
    const open: OpenBlockFacts | undefined =
      latest === undefined
        ? undefined
        : {
            index: latest.index,
            blockType: latest.blockType,
            toolName: latest.toolName,
            deltaType: latest.deltaType,
            receivedBytes: latest.receivedBytes,
            deltaCount: latest.deltaCount,
          };
    return {
      attempt: this.attempt,
      events: this.#events,
      bytes: this.#bytes,
      messageStart: this.#messageStart,
      messageDelta: this.#messageDelta,
      messageStop: this.#messageStop,
      stopReason: this.#stopReason,
      completedBlocks: this.#completed,
      blockTypes: { ...this.#blockTypes },
      open,
      toolInputs: this.#toolInputs.slice(),
      lastEvent: this.#lastEvent,
      errorEvent: this.#error === undefined ? undefined : { ...this.#error },
      tail,
    };
  }
}

/** `content` appended to `kept`, up to CONTENT_KEPT_CHARS. */
function keep(kept: string | undefined, content: string): string {
  const base = kept ?? '';
  if (base.length >= CONTENT_KEPT_CHARS) return base;
  return base + content.slice(0, CONTENT_KEPT_CHARS - base.length);
}

/** The largest of the tool inputs, or `undefined` when there are none. */
export function largestToolInput(inputs: readonly ToolInputFacts[]): ToolInputFacts | undefined {
  let best: ToolInputFacts | undefined;
  for (const input of inputs) if (best === undefined || input.bytes > best.bytes) best = input;
  return best;
}
