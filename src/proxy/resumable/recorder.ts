/**
 * The sink between the engine's output and the client's socket in a resumable response: it
 * cuts the spliced stream into events, numbers them, appends them to the log, and only then
 * writes them to the client with their `id: <stream id>:<seq>` line (write-ahead, so nothing
 * a client saw is missing from the log).
 *
 * The client may leave at any time (`detach`): the sink then goes on logging, so the stream
 * runs to its end and a reconnect gets the rest. SSE comments (the engine's keep-alives) go
 * to the attached client only; they are not part of the message.
 */
import type { ServerResponse } from 'node:http';
import { SseFramer } from '../../sse/index.js';
import { drained } from '../http.js';
import { type LoggedEvent, type StreamEnd, StreamLogError, type StreamStore } from './store.js';
import { eventId } from './stream-id.js';

const LF = 10;
const CR = 13;
const encoder = new TextEncoder();

/** An event's bytes as logged: without a stray line end before its first field. */
export function eventBytes(raw: Uint8Array): Uint8Array {
  let start = 0;
  while (start < raw.length && (raw[start] === LF || raw[start] === CR)) start++;
  return start === 0 ? raw : raw.subarray(start);
}

/** The event as a client gets it: its `id:` line first. */
export function withId(streamId: string, event: LoggedEvent): Uint8Array {
  return withIds(streamId, [event]);
}

/** Events as a client gets them, each with its `id:` line, in one buffer (one copy). */
export function withIds(streamId: string, events: readonly LoggedEvent[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const event of events) {
    parts.push(Buffer.from(`id: ${eventId(streamId, event.seq)}\n`, 'latin1'), event.bytes);
  }
  return Buffer.concat(parts);
}

function join(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  return Buffer.concat(parts);
}

export class StreamRecorder {
  readonly streamId: string;
  readonly #store: StreamStore;
  /** The producer's lease id. */
  readonly owner: string;
  readonly #framer = new SseFramer({ maxEventSize: 64 * 1024 * 1024 });
  #res: ServerResponse | undefined;
  #seq: number;
  /** Set when the log refused events: the client still attached gets the rest without ids. */
  #logError: StreamLogError | undefined;
  /** Bytes written to the client. */
  bytesDown = 0;

  /**
   * `owner`: the producer's lease id. `lastSeq`: the log already holds events 1..lastSeq (a
   * takeover continues after them). `logging: false`: the log could not be created; the
   * client gets the stream without ids.
   */
  constructor(
    store: StreamStore,
    streamId: string,
    res: ServerResponse | undefined,
    owner: string,
    lastSeq = 0,
    logging = true,
  ) {
    this.owner = owner;
    this.#store = store;
    this.streamId = streamId;
    this.#res = res;
    this.#seq = lastSeq;
    if (!logging) {
      this.#logError = new StreamLogError(
        'store-unavailable',
        'lifeline: the stream log could not be created; this stream cannot be resumed.',
      );
    }
  }

  /** The last seq logged. */
  get seq(): number {
    return this.#seq;
  }

  /** Whether a client is still attached. */
  get attached(): boolean {
    return this.#res !== undefined && !this.#res.destroyed;
  }

  /** Why the log stopped taking events, if it did. */
  get logError(): StreamLogError | undefined {
    return this.#logError;
  }

  /** The client left: go on logging. */
  detach(): void {
    this.#res = undefined;
  }

  /**
   * Takes one chunk of the engine's output. Resolves once its events are logged and written
   * (and the client's socket can take more).
   */
  async push(chunk: Uint8Array): Promise<void> {
    const events: LoggedEvent[] = [];
    const comments: Uint8Array[] = [];
    for (const frame of this.#framer.push(chunk)) {
      if (frame.isComment) {
        if (events.length === 0) comments.push(frame.raw);
        continue;
      }
      events.push({ seq: this.#seq + events.length + 1, bytes: eventBytes(frame.raw) });
    }
    if (events.length === 0) {
      if (comments.length > 0) await this.#write(join(comments));
      return;
    }
    await this.#log(events);
  }

  /**
   * Ends the log. `tail`: the proxy's own closing `error` event (recovery failed, shutdown),
   * logged like the rest so a reconnect ends the same way.
   */
  async end(end: StreamEnd, tail?: string): Promise<void> {
    if (tail !== undefined) await this.#log([{ seq: this.#seq + 1, bytes: encoder.encode(tail) }]);
    if (this.#logError === undefined) {
      try {
        await this.#store.finish(this.streamId, end, this.owner);
      } catch (err) {
        this.#logError =
          err instanceof StreamLogError
            ? err
            : new StreamLogError('store-unavailable', String(err), { cause: err });
      }
    }
    const res = this.#res;
    if (res !== undefined && !res.destroyed) res.end();
  }

  async #log(events: LoggedEvent[]): Promise<void> {
    if (this.#logError === undefined) {
      try {
        await this.#store.append(this.streamId, events, this.owner);
        this.#seq += events.length;
        await this.#write(withIds(this.streamId, events));
        return;
      } catch (err) {
        this.#logError =
          err instanceof StreamLogError
            ? err
            : new StreamLogError(
                'store-unavailable',
                `lifeline: the stream log is unavailable (${err instanceof Error ? err.message : String(err)}); this stream can no longer be resumed.`,
                { cause: err },
              );
      }
    }
    // Not logged: the attached client gets the events without ids (it cannot resume them).
    await this.#write(join(events.map((e) => e.bytes)));
  }

  async #write(bytes: Uint8Array): Promise<void> {
    const res = this.#res;
    if (res === undefined || res.destroyed) return;
    this.bytesDown += bytes.length;
    if (!res.write(bytes)) await drained(res);
  }
}

export type { StreamEnd };
