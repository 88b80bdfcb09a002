/**
 * Errors raised by the SSE decoder and framer. One class with a `type` discriminator, so a
 * caller can `switch (err.type)` without `instanceof` chains (modelled on eventsource-parser's
 * `ParseError`).
 */
import { LifelineError } from '../errors.js';
import type { SseEvent } from './types.js';

/**
 * - `event-too-large`: one event grew past `maxEventSize` bytes before its blank line.
 * - `stopped`: the decoder/framer was used again after an `event-too-large` error.
 */
export type SseErrorType = 'event-too-large' | 'stopped';

/** What an `SseError` carries: its type, the limit and size involved, and what was decoded before it. */
export interface SseErrorOptions<Item> {
  type: SseErrorType;
  /** The configured `maxEventSize`, in bytes. */
  limit?: number | undefined;
  /** Bytes of the offending event seen so far (its lines without line ends). */
  size?: number | undefined;
  /** Items completed earlier in the same call, which the throw would otherwise lose. */
  completed?: readonly Item[] | undefined;
}

/** Thrown by `SseDecoder` and `SseFramer`. `Item` is `SseEvent` or `SseFrame`. */
export class SseError<Item = SseEvent> extends LifelineError {
  readonly type: SseErrorType;
  readonly limit: number | undefined;
  readonly size: number | undefined;
  /**
   * Events (decoder) or frames (framer) completed in the same `push()` call before the
   * failure. Everything before them was already returned by earlier calls, so nothing that
   * was complete is lost.
   */
  readonly completed: readonly Item[];

  constructor(message: string, options: SseErrorOptions<Item>) {
    super(message);
    this.name = 'SseError';
    this.type = options.type;
    this.limit = options.limit;
    this.size = options.size;
    this.completed = options.completed ?? [];
  }
}

/** The error for an event past the size limit, worded for the person who has to fix it. */
export function eventTooLarge<Item>(
  what: 'SseDecoder' | 'SseFramer',
  limit: number,
  size: number,
  completed: readonly Item[],
): SseError<Item> {
  return new SseError<Item>(
    `${what}: one server-sent event grew to ${size} bytes before its terminating blank line, ` +
      `over the maxEventSize limit of ${limit} bytes. The limit bounds memory when an upstream ` +
      'sends an endless event or is not speaking SSE. If events this large are expected (big ' +
      `tool inputs), raise maxEventSize, e.g. new ${what}({ maxEventSize: ${nextLimit(size)} }); ` +
      'otherwise check what the upstream is sending. This instance is now stopped: create a new one.',
    { type: 'event-too-large', limit, size, completed },
  );
}

/** The error for using an instance after it failed. */
export function stopped<Item>(
  what: 'SseDecoder' | 'SseFramer',
  cause: SseError<Item>,
): SseError<Item> {
  return new SseError<Item>(
    `${what}: this instance stopped at an earlier error (${cause.type}) and cannot continue ` +
      'mid-stream, because the bytes after the failure point cannot be framed reliably. ' +
      `Create a new ${what} for the next stream.`,
    { type: 'stopped', limit: cause.limit, size: cause.size },
  );
}

function nextLimit(size: number): number {
  // Suggest a round power of two above what was seen, so the hint is usable as-is.
  let limit = 1024 * 1024;
  while (limit <= size) limit *= 2;
  return limit;
}
