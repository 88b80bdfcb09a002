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
  request?: { path: string; body: string; headers: Record<string, string> } | undefined;
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
export type LogItem =
  | { kind: 'event'; event: LoggedEvent }
  | { kind: 'end'; end: StreamEnd }
  /** Nothing new for a while (Redis readers): time to check that someone still produces it. */
  | { kind: 'idle' };

export interface StreamStore {
  /** `memory` or `redis`: for logs and the README's limits. */
  readonly kind: 'memory' | 'redis';
  /**
   * Starts a stream's log. `owner`: the producer's id, which holds the stream's lease in a
   * store that has leases (Redis); every write below is refused to anyone else.
   */
  create(record: StreamRecord, owner: string): Promise<void>;
  /**
   * Appends events (their `seq` continue the log without a gap). Rejects with
   * `StreamLogError` when the log cannot take them (a limit, the store unreachable): the
   * events must then not be sent to the client either.
   */
  append(id: string, events: readonly LoggedEvent[], owner: string): Promise<void>;
  /** Marks the log ended; it expires `ttlMs` later. */
  finish(id: string, end: StreamEnd, owner: string): Promise<void>;
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

/**
 * A store shared by instances (Redis): each running stream has a lease its producer renews;
 * when the producer dies, the lease expires and another instance may take the stream over.
 */
export interface LeasedStreamStore extends StreamStore {
  readonly kind: 'redis';
  /** Renews the lease; false when it is lost (another instance took the stream over). */
  renew(id: string, owner: string): Promise<boolean>;
  /** Takes the free lease of a running stream; false when another holds it, or it ended. */
  acquire(id: string, owner: string): Promise<boolean>;
  /** Whether some instance holds the stream's lease now. */
  leased(id: string): Promise<boolean>;
  /** Gives the lease up without ending the stream (shutdown): another instance takes over. */
  release(id: string, owner: string): Promise<void>;
  /** Every logged event, in order (what a takeover replays). */
  events(id: string): Promise<LoggedEvent[]>;
  readonly settings: { leaseMs: number };
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
