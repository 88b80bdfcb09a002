/**
 * From one decoded SSE event to a typed stream event.
 *
 * Like the SDK (core/streaming.ts), the event's kind is the JSON payload's `type`; the SSE
 * `event:` name only matters for `ping` (whose data is not needed). A payload that is not
 * JSON is an error with the event name and an excerpt, never the whole payload: a data line
 * can be megabytes of tool input and may hold user content.
 */

import { LifelineError } from '../errors.js';
import type { StreamEvent, UnknownStreamEvent } from '../protocol/index.js';
import type { SseEvent } from '../sse/index.js';
import { excerptOf } from './tool-input.js';

/** Longest excerpt of an SSE data payload quoted in an error. */
export const DATA_EXCERPT_CHARS = 80;

/** An SSE event whose data is not a JSON object. */
export class InvalidEventJsonError extends LifelineError {
  readonly type = 'invalid-json' as const;
  /** The SSE event name (`message` when the event had no `event:` line). */
  readonly event: string;
  /** The start of the data, truncated to `DATA_EXCERPT_CHARS`. */
  readonly excerpt: string;
  /** Length of the data in UTF-16 code units. */
  readonly dataLength: number;

  constructor(event: string, data: string, reason: string) {
    const excerpt = excerptOf(data, DATA_EXCERPT_CHARS);
    super(
      `SSE event "${event}" carries data that is not a JSON object (${reason}); ` +
        `${data.length} chars starting ${JSON.stringify(excerpt)}. The upstream or a proxy ` +
        'between us corrupted or cut the event. Retry the request; if it repeats, capture ' +
        'the stream and run `lifeline analyze` on it.',
    );
    this.name = 'InvalidEventJsonError';
    this.event = event;
    this.excerpt = excerpt;
    this.dataLength = data.length;
  }
}

/**
 * Parses the data of one SSE event. `ping` always becomes `{type: 'ping'}`; an event with
 * empty data becomes an unknown event named after its SSE name (the SDK skips those); a
 * JSON object without a string `type` takes the SSE name as its type.
 */
export function parseStreamEvent(sse: SseEvent): StreamEvent | UnknownStreamEvent {
  const name = sse.event ?? 'message';
  if (name === 'ping') return { type: 'ping' };
  if (sse.data === '') return { type: name };
  let value: unknown;
  try {
    value = JSON.parse(sse.data);
  } catch (err) {
    // JSON.parse of a string throws a SyntaxError, nothing else.
    throw new InvalidEventJsonError(name, sse.data, (err as SyntaxError).message);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    throw new InvalidEventJsonError(name, sse.data, `JSON ${kind}, not an object`);
  }
  const event = value as Record<string, unknown>;
  if (typeof event.type !== 'string') return { ...event, type: name };
  return event as StreamEvent | UnknownStreamEvent;
}
