/**
 * The log of a resumable response: what the proxy sent a client, event by event, so that a
 * client that lost its connection gets exactly the rest (`GET /v1/lifeline/streams/{id}` with
 * `Last-Event-ID`). Two stores implement it: `MemoryStreamStore` (one process, bounded by
 * bytes and a TTL) and `RedisStreamStore` (Redis Streams, shared by every instance).
 *
 * An entry is one SSE event as the client got it, without its `id:` line; `seq` numbers them
 * from 1. The proxy writes an event to the client only once `append` has resolved (write-ahead):
 * whatever a client saw is in the log, so a reconnect, or another instance taking the stream
 * over, never contradicts it.
 */
import { LifelineError } from '../../errors.js';

/** One logged SSE event: its bytes (`event:` and `data:` lines and the blank line). */
export interface LoggedEvent {
  seq: number;
  bytes: Uint8Array;
}

/** What a store keeps about a stream besides its events. */
export interface StreamRecord {
  id: string;
  /** SHA-256 of the credential that created the stream (see stream-id.ts); never the key. */
  credential: string;
  /** Epoch ms. */
  createdAt: number;
  /** The first attempt's status and the headers the client got. */
  status: number;
  headers: Record<string, string>;
  /**
   * The request body (JSON) and its non-secret headers, so another instance can continue the
   * upstream generation (takeover, Redis only). The credential is never stored: the instance
   * that takes over sends the reconnecting client's own.
   */
  request?: { body: string; headers: Record<string, string> } | undefined;
}

/** How a logged stream ended. */
export type StreamEnd =
  /** The last event is message_stop, or the API's own `error` event. */
  | { kind: 'complete' }
  /** The proxy ended it with an `error` event (recovery failed, shutdown): that event is logged. */
  | { kind: 'failed'; message: string }
  /** The log stopped recording (a limit): a reconnect past its end cannot be served. */
  | { kind: 'truncated'; message: string };

export interface StreamStatus {
  lastSeq: number;
  end: StreamEnd | undefined;
}

/** What a reader gets: events in order, then how the stream ended. */
export type LogItem = { kind: 'event'; event: LoggedEvent } | { kind: 'end'; end: StreamEnd };

export interface StreamStore {
  /** `memory` or `redis`: for logs and the README's limits. */
  readonly kind: 'memory' | 'redis';
  /** Starts a stream's log. */
  create(record: StreamRecord): Promise<void>;
  /**
   * Appends events (their `seq` continue the log without a gap). Rejects with
   * `StreamLogError` when the log cannot take them (a limit, the store unreachable): the
   * events must then not be sent to the client either.
   */
  append(id: string, events: readonly LoggedEvent[]): Promise<void>;
  /** Marks the log ended; it expires `ttlMs` later. */
  finish(id: string, end: StreamEnd): Promise<void>;
  /** The stream's record, or undefined when unknown or expired. */
  get(id: string): Promise<StreamRecord | undefined>;
  /**
   * The events after `afterSeq`, then live ones as they are appended, then the end. Ends
   * early (without an `end` item) when `signal` aborts.
   */
  read(id: string, afterSeq: number, signal: AbortSignal): AsyncIterable<LogItem>;
  /** The last logged seq and how the log ended, if it has. */
  status(id: string): Promise<StreamStatus | undefined>;
  close(): Promise<void>;
}

export type StreamLogErrorType = 'stream-too-large' | 'store-full' | 'store-unavailable' | 'lost';

/** A log that cannot take (or give) its events: what happened and what to do. */
export class StreamLogError extends LifelineError {
  readonly type = 'stream-log' as const;
  readonly reason: StreamLogErrorType;
  constructor(reason: StreamLogErrorType, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StreamLogError';
    this.reason = reason;
  }
}
