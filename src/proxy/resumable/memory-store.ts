/**
 * The log in this process's memory (the default with `--resumable`): a reconnect is served
 * only by the instance that runs the stream. Bounded two ways:
 *
 * - bytes: one stream's log holds at most `maxStreamBytes`, all logs together `maxBytes`.
 *   When a new event would pass the total, ended logs are evicted oldest first; if that is not
 *   enough, or the stream alone passes its own limit, that stream's log is truncated: the
 *   client still connected gets the rest live (with no `id:`, since it can no longer resume),
 *   and a reconnect is answered 410 with the reason.
 * - time: an ended log is kept `ttlMs` after its end, then dropped (a reconnect then gets 404).
 */
import {
  type LoggedEvent,
  type LogItem,
  type StreamEnd,
  StreamLogError,
  type StreamRecord,
  type StreamStatus,
  type StreamStore,
} from './store.js';

export interface MemoryStoreLimits {
  /** All logs together, bytes. */
  maxBytes: number;
  /** One stream's log, bytes. */
  maxStreamBytes: number;
  /** How long an ended log is kept, ms. */
  ttlMs: number;
}

interface MemoryLog {
  record: StreamRecord;
  events: LoggedEvent[];
  bytes: number;
  end: StreamEnd | undefined;
  endedAt: number;
  expiry: NodeJS.Timeout | undefined;
  /** Readers waiting for the next append or the end. */
  waiters: Set<() => void>;
}

export class MemoryStreamStore implements StreamStore {
  readonly kind = 'memory' as const;
  readonly limits: MemoryStoreLimits;
  readonly #logs = new Map<string, MemoryLog>();
  /** Ended logs in the order they ended: eviction order. */
  readonly #ended = new Set<string>();
  #bytes = 0;

  constructor(limits: MemoryStoreLimits) {
    this.limits = limits;
  }

  /** Bytes held by all logs (for metrics and tests). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Logs held (in flight and ended). */
  get size(): number {
    return this.#logs.size;
  }

  async create(record: StreamRecord, _owner: string): Promise<void> {
    this.#logs.set(record.id, {
      record,
      events: [],
      bytes: 0,
      end: undefined,
      endedAt: 0,
      expiry: undefined,
      waiters: new Set(),
    });
  }

  async append(id: string, events: readonly LoggedEvent[], _owner: string): Promise<void> {
    const log = this.#logs.get(id);
    if (log === undefined)
      throw new StreamLogError(
        'lost',
        `lifeline: the log of stream ${id} is gone (expired or evicted).`,
      );
    if (log.end !== undefined) {
      throw new StreamLogError(
        'lost',
        `lifeline: the log of stream ${id} has ended (${log.end.kind}).`,
      );
    }
    let size = 0;
    for (const e of events) size += e.bytes.length;
    if (log.bytes + size > this.limits.maxStreamBytes) {
      const message =
        `lifeline: this stream's log passed the per-stream limit of ${this.limits.maxStreamBytes} bytes ` +
        '(resumableMaxStreamBytes), so it can no longer be resumed; retry the request.';
      this.#truncate(id, log, message);
      throw new StreamLogError('stream-too-large', message);
    }
    this.#evictFor(size);
    if (this.#bytes + size > this.limits.maxBytes) {
      const message =
        `lifeline: the proxy's stream logs hold their limit of ${this.limits.maxBytes} bytes ` +
        '(resumableMaxBytes), so this stream can no longer be resumed; retry the request.';
      this.#truncate(id, log, message);
      throw new StreamLogError('store-full', message);
    }
    for (const e of events) log.events.push(e);
    log.bytes += size;
    this.#bytes += size;
    this.#wake(log);
  }

  async finish(id: string, end: StreamEnd, _owner: string): Promise<void> {
    const log = this.#logs.get(id);
    if (log === undefined || log.end !== undefined) return;
    this.#end(id, log, end);
  }

  async get(id: string): Promise<StreamRecord | undefined> {
    return this.#logs.get(id)?.record;
  }

  async status(id: string): Promise<StreamStatus | undefined> {
    const log = this.#logs.get(id);
    if (log === undefined) return undefined;
    return { lastSeq: log.events.at(-1)?.seq ?? 0, end: log.end };
  }

  async *read(id: string, afterSeq: number, signal: AbortSignal): AsyncIterable<LogItem> {
    let log = this.#logs.get(id);
    if (log === undefined) return;
    // seq n is at index n - 1 while the log is whole (it only ever grows, from seq 1).
    let next = afterSeq;
    while (!signal.aborted) {
      while (next < log.events.length) {
        const event = log.events[next] as LoggedEvent;
        next++;
        yield { kind: 'event', event };
        if (signal.aborted) return;
      }
      if (log.end !== undefined) {
        yield { kind: 'end', end: log.end };
        return;
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          signal.removeEventListener('abort', wake);
          log?.waiters.delete(wake);
          resolve();
        };
        log?.waiters.add(wake);
        signal.addEventListener('abort', wake, { once: true });
      });
      const current = this.#logs.get(id);
      if (current === undefined) return; // evicted while we waited
      log = current;
    }
  }

  async close(): Promise<void> {
    for (const [id, log] of this.#logs) {
      clearTimeout(log.expiry);
      this.#drop(id, log);
    }
  }

  #wake(log: MemoryLog): void {
    const waiters = [...log.waiters];
    log.waiters.clear();
    for (const w of waiters) w();
  }

  #end(id: string, log: MemoryLog, end: StreamEnd): void {
    log.end = end;
    log.endedAt = Date.now();
    this.#ended.add(id);
    log.expiry = setTimeout(() => this.#drop(id, log), this.limits.ttlMs);
    log.expiry.unref();
    this.#wake(log);
  }

  /** Frees the log's events; it stays known (a reconnect learns why it cannot resume). */
  #truncate(id: string, log: MemoryLog, message: string): void {
    this.#bytes -= log.bytes;
    log.bytes = 0;
    log.events = [];
    this.#end(id, log, { kind: 'truncated', message });
  }

  #drop(id: string, log: MemoryLog): void {
    if (this.#logs.get(id) !== log) return;
    this.#logs.delete(id);
    this.#ended.delete(id);
    this.#bytes -= log.bytes;
    this.#wake(log);
  }

  /** Evicts ended logs, oldest first, until `size` more bytes fit (or none is left). */
  #evictFor(size: number): void {
    for (const id of this.#ended) {
      if (this.#bytes + size <= this.limits.maxBytes) return;
      const log = this.#logs.get(id);
      if (log === undefined) {
        this.#ended.delete(id);
        continue;
      }
      clearTimeout(log.expiry);
      this.#drop(id, log);
    }
  }
}
