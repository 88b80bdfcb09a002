/**
 * Analyzing a raw captured SSE body (`curl -sN ... > capture.sse`, optionally with the
 * response head from `curl -i`): where the stream died, and what lifeline would have done.
 *
 * A capture has bytes but no timings, so it tells "closed mid-event" (the connection went
 * while an event was being written: active byte transfer) from "ended between events", but
 * not a stall from a quick close; the note says so. The plan is the engine's own: the
 * capture's events go through a `Splicer` (the hold-back rules decide what a client would
 * already have) and then the planner, with the model from `message_start`.
 */
import {
  type InvalidEventJsonError,
  MessageAccumulator,
  parseStreamEvent,
  utf8ByteLength,
} from '../../message/index.js';
import {
  describeCutEvent,
  type StreamEvent,
  type UnknownStreamEvent,
} from '../../protocol/index.js';
import { SseFramer } from '../../sse/index.js';
import { cutFacts } from './cut.js';
import type { FailureFacts, Incident, StreamFacts } from './incident.js';
import { categorize } from './incident.js';
import { planFromCapture } from './plan.js';
import { type EventSummary, largestToolInput, StreamTally } from './tally.js';
import type { Timeline } from './timeline.js';

const LF = 10;
const CR = 13;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Splits off a response head (`HTTP/1.1 200 OK` ... blank line) when the capture has one.
 * Returns the status and where the body starts.
 */
function splitHead(bytes: Uint8Array): { status: number | undefined; bodyStart: number } {
  const start = new TextDecoder().decode(bytes.subarray(0, 5));
  if (start !== 'HTTP/') return { status: undefined, bodyStart: 0 };
  // The head ends at the first blank line (CRLF CRLF, or LF LF from a hand-made capture).
  for (let i = 0; i < bytes.length - 1; i++) {
    if (bytes[i] === LF && bytes[i + 1] === LF) return headResult(bytes, i + 2);
    if (bytes[i] === LF && bytes[i + 1] === CR && bytes[i + 2] === LF) {
      return headResult(bytes, i + 3);
    }
  }
  return { status: undefined, bodyStart: bytes.length };
}

function headResult(
  bytes: Uint8Array,
  bodyStart: number,
): { status: number | undefined; bodyStart: number } {
  const head = new TextDecoder().decode(bytes.subarray(0, bodyStart));
  // `curl -i` through a proxy prints "HTTP/1.1 200 Connection established" first: take the last.
  const statuses = [...head.matchAll(/^HTTP\/[\d.]+ (\d{3})/gm)].map((m) => Number(m[1]));
  return { status: statuses.at(-1), bodyStart };
}

/** The type of an event cut off before its blank line, from its `event:` line or its data. */
function tailEventType(text: string): string | undefined {
  const named = /^event: ?([^\r\n]*)\r?$/m.exec(text);
  if (named !== null && named[1] !== '') return named[1];
  const typed = /"type"\s*:\s*"([a-z_]+)"/.exec(text);
  return typed?.[1];
}

function isWhitespace(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== LF && b !== CR && b !== 32 && b !== 9) return false;
  return true;
}

/** The summary of one parsed event, for the tally. */
function summarize(type: string, data: Json, bytes: number, keepContent: boolean): EventSummary {
  const summary: EventSummary = { event: type, bytes };
  if (typeof data.index === 'number') summary.index = data.index;
  if (type === 'content_block_start' && isObject(data.content_block)) {
    const block = data.content_block;
    if (typeof block.type === 'string') summary.blockType = block.type;
    if (typeof block.name === 'string') summary.toolName = block.name;
    if (isObject(block.input) && Object.keys(block.input).length > 0) {
      summary.startInputBytes = utf8ByteLength(JSON.stringify(block.input));
    }
    if (keepContent) summary.content = JSON.stringify(block);
  } else if (type === 'content_block_delta' && isObject(data.delta)) {
    const delta = data.delta;
    if (typeof delta.type === 'string') summary.deltaType = delta.type;
    for (const field of ['text', 'partial_json', 'thinking', 'signature']) {
      const value = delta[field];
      if (typeof value === 'string') {
        summary.payloadBytes = utf8ByteLength(value);
        if (keepContent) summary.content = value;
        break;
      }
    }
  } else if (type === 'message_delta' && isObject(data.delta)) {
    if (typeof data.delta.stop_reason === 'string') summary.stopReason = data.delta.stop_reason;
  } else if (type === 'error' && isObject(data.error)) {
    if (typeof data.error.type === 'string') summary.errorType = data.error.type;
    if (typeof data.error.message === 'string') summary.errorMessage = data.error.message;
  }
  return summary;
}

/** Analyzes the bytes of a captured SSE body. */
export function analyzeCapture(bytes: Uint8Array): Incident {
  return analyzeCaptureTimeline(bytes).incident;
}

/** The incident, and the timeline the HTML report draws (block content only with `keepContent`). */
export function analyzeCaptureTimeline(
  bytes: Uint8Array,
  options: { keepContent?: boolean } = {},
): { incident: Incident; timeline: Timeline } {
  const keepContent = options.keepContent === true;
  const { status, bodyStart } = splitHead(bytes);
  const body = bytes.subarray(bodyStart);
  // No size limit: the capture is already in memory, and a huge event is a finding, not an error.
  const framer = new SseFramer({ maxEventSize: Number.POSITIVE_INFINITY });
  const frames = framer.push(body);
  const { rest } = framer.end();

  const tally = new StreamTally(1, { keepContent });
  const accumulator = new MessageAccumulator();
  const events: Array<{ type: string; data: Json; raw: Uint8Array }> = [];
  let protocolError: string | undefined;
  for (const frame of frames) {
    if (frame.isComment) continue;
    const sse = frame.toEvent();
    if (sse === undefined) continue;
    let parsed: StreamEvent | UnknownStreamEvent;
    try {
      parsed = parseStreamEvent(sse);
    } catch (err) {
      protocolError = (err as InvalidEventJsonError).message;
      break;
    }
    const data = parsed as unknown as Json;
    const type = frame.event ?? parsed.type;
    tally.push(summarize(type, data, frame.raw.length, keepContent));
    accumulator.push(parsed);
    events.push({ type, data, raw: frame.raw });
  }

  const tailBytes = isWhitespace(rest) ? 0 : rest.length;
  const tail: StreamFacts['tail'] = {
    bytes: tailBytes,
    event: tailBytes > 0 ? tailEventType(new TextDecoder().decode(rest)) : undefined,
  };
  const stream = tally.facts(tail);
  const cut = tailBytes > 0 ? describeCutEvent(rest) : undefined;
  if (cut !== undefined && stream.tail !== undefined) stream.tail.cut = cutFacts(cut, stream.open);
  const snapshot = accumulator.snapshot();
  const model = snapshot.message?.model;
  const notes: string[] = [];
  if (status !== undefined && status !== 200) {
    notes.push(`the response head says HTTP ${status}, yet the body holds SSE events`);
  }

  let failure: FailureFacts | undefined;
  if (protocolError !== undefined) {
    failure = endFacts('protocol', 'protocol', protocolError, undefined);
  } else if (stream.errorEvent !== undefined) {
    const { category, recoverable } = categorize('error-event', {
      errorType: stream.errorEvent.type,
    });
    failure = {
      attempt: 1,
      end: 'error-event',
      kind: 'error-event',
      category,
      recoverable,
      closedBy: `the upstream ended the stream with an SSE error event (${stream.errorEvent.type}${stream.errorEvent.message ? `: ${stream.errorEvent.message}` : ''})`,
      duringActiveTransfer: undefined,
      silenceMs: undefined,
      message: undefined,
    };
  } else if (stream.messageStop) {
    failure = undefined;
  } else if (tailBytes > 0) {
    failure = endFacts(
      'mid-event',
      'socket',
      `closed by the server during active byte transfer: the body stops ${tailBytes} bytes into ` +
        `${tail.event === undefined ? 'an event' : `a ${tail.event} event`}, before its blank line, ` +
        'so the connection went while the event was being written (the server here is the ' +
        'upstream or any proxy between it and the client)',
      undefined,
    );
  } else {
    failure = endFacts(
      'between-events',
      'eof',
      'the body ends after a complete event without message_stop: the connection was closed ' +
        'between two events, or a proxy ended the body early; a capture has no timings, so a ' +
        'stall before the close cannot be ruled out (record a lifeline trace to see the gaps)',
      undefined,
    );
  }

  const would =
    failure === undefined || !stream.messageStart || !failure.recoverable
      ? undefined
      : planFromCapture(events, snapshot.message?.model);
  if (!stream.messageStart) {
    notes.push('no message_start: the stream failed before the message began');
  }

  const incident: Incident = {
    source: 'capture',
    model,
    messageId: snapshot.message?.id,
    containerId: snapshot.container?.id ?? undefined,
    betas: [],
    outcome: failure === undefined ? 'complete' : 'interrupted',
    stream,
    failure,
    largestToolInput: largestToolInput(stream.toolInputs),
    laterAttempts: [],
    did: undefined,
    would,
    notes,
  };
  const timeline: Timeline = {
    hasTimes: false,
    hasContent: keepContent,
    attempts: [
      {
        attempt: 1,
        strategy: 'first',
        status,
        startT: undefined,
        endT: undefined,
        bytes: body.length,
        events: stream.events,
        blocks: tally.spans(),
        end: failure?.end ?? 'complete',
        failure:
          failure === undefined ? undefined : { kind: failure.kind, message: failure.message },
        open: stream.open,
        tail: stream.tail,
      },
    ],
    seams: [],
    totalMs: undefined,
  };
  return { incident, timeline };
}

function endFacts(
  end: FailureFacts['end'],
  kind: string,
  closedBy: string,
  message: string | undefined,
): FailureFacts {
  const { category, recoverable } = categorize(kind);
  return {
    attempt: 1,
    end,
    kind,
    category,
    recoverable,
    closedBy,
    // A cut event proves bytes were flowing; an end on an event boundary proves nothing.
    duringActiveTransfer: end === 'mid-event' ? true : undefined,
    silenceMs: undefined,
    message,
  };
}
