/**
 * Writes a pre-encoded SSE response onto an HTTP/1.1 chunked response, injecting a fault at
 * the socket: a drop or reset after N events or K bytes into event N (even inside an HTTP
 * chunk: the chunk-size line announces the whole chunk, then only part of it is written), a
 * clean end without `message_stop`, a stall, an SSE `error` event, or a trickle of small writes.
 *
 * Events are grouped `eventsPerWrite` to an HTTP chunk, so a fault can land in the middle of a
 * chunk the way a real intermediary's buffering makes it land. The mock frames the chunks
 * itself, once per response (`frameStream`): a fault-free stream is then a single write of a
 * Buffer, which is what lets one process serve hundreds of concurrent streams.
 */
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { errorBody } from './api.js';
import type { ResolvedFault } from './faults.js';

const CRLF = Buffer.from('\r\n', 'latin1');
/** The last chunk of a chunked body (no trailers). */
const LAST_CHUNK = Buffer.from('0\r\n\r\n', 'latin1');

/** What went onto the wire, for the request log (SSE bytes, without chunk framing). */
export interface WireProgress {
  /** Events written whole. */
  events: number;
  /** SSE body bytes written (whole events plus any partial one). */
  bytes: number;
  /** How the response ended. */
  outcome: 'pending' | 'complete' | 'dropped' | 'reset' | 'eof' | 'error-event' | 'client-closed';
}

/** A response's events framed as HTTP/1.1 chunks, `eventsPerWrite` events to a chunk. */
export interface FramedStream {
  events: readonly Buffer[];
  eventsPerWrite: number;
  /** Every chunk framed (`size CRLF data CRLF`), then the last chunk. */
  body: Buffer;
  /** Where chunk g starts in `body`; the entry after the last chunk is the last-chunk marker. */
  chunkOffsets: number[];
  /** SSE bytes before event i; the last entry is the total. */
  eventOffsets: number[];
}

/** One HTTP chunk: `size CRLF data CRLF`. */
export function frameChunk(data: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`, 'latin1'), data, CRLF]);
}

/** Frames a response once; faults then cut into it by offsets, without re-encoding. */
export function frameStream(events: readonly Buffer[], eventsPerWrite: number): FramedStream {
  const pieces: Buffer[] = [];
  const chunkOffsets: number[] = [];
  const eventOffsets: number[] = [0];
  let offset = 0;
  for (let i = 0; i < events.length; i += eventsPerWrite) {
    const group = events.slice(i, i + eventsPerWrite);
    const framed = frameChunk(group.length === 1 ? group[0]! : Buffer.concat(group));
    chunkOffsets.push(offset);
    pieces.push(framed);
    offset += framed.length;
  }
  chunkOffsets.push(offset);
  pieces.push(LAST_CHUNK);
  for (const event of events) eventOffsets.push(eventOffsets.at(-1)! + event.length);
  return { events, eventsPerWrite, body: Buffer.concat(pieces), chunkOffsets, eventOffsets };
}

export interface StreamPlan {
  framed: FramedStream;
  fault: ResolvedFault | undefined;
  /** Cuts stalls and trickles short when the server shuts down. */
  signal?: AbortSignal;
  /** How an `error` fault is written (default: the API's SSE `error` event; Bedrock: an exception frame). */
  errorEvent?: (errorType: string, message: string) => Buffer;
}

/** Resolves when the response can take more data, or has closed. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Waits `ms`, or less if `signal` aborts (a closing server must not wait for a stall). */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done);
  });
}

function closed(res: ServerResponse): boolean {
  return res.destroyed || res.writableEnded;
}

class Writer {
  /** Events [0, written) are on the wire whole. */
  private written = 0;
  private readonly size: number;

  constructor(
    private readonly res: ServerResponse,
    private readonly framed: FramedStream,
    private readonly signal: AbortSignal | undefined,
    readonly progress: WireProgress,
  ) {
    this.size = framed.eventsPerWrite;
  }

  private groupStart(i: number): number {
    return i - (i % this.size);
  }

  private groupEnd(i: number): number {
    return Math.min(this.framed.events.length, this.groupStart(i) + this.size);
  }

  /** Writes `data` (already framed); resolves false when the response is gone. */
  private async write(data: Buffer): Promise<boolean> {
    if (closed(this.res)) return false;
    if (!this.res.write(data)) await drained(this.res);
    return !closed(this.res);
  }

  /**
   * Writes events [written, to) as HTTP chunks aligned to `eventsPerWrite` groups: whole
   * groups straight from the framed body, a group cut by `written` or `to` framed anew.
   */
  async writeEvents(to: number): Promise<boolean> {
    const { events, body, chunkOffsets, eventOffsets } = this.framed;
    while (this.written < to) {
      const from = this.written;
      let data: Buffer;
      let end: number;
      if (from % this.size === 0 && to >= this.groupEnd(from)) {
        // As many whole groups as fit: one slice of the framed body, no copy.
        const firstGroup = from / this.size;
        const lastGroup =
          to >= events.length ? chunkOffsets.length - 1 : Math.floor(to / this.size);
        end = Math.min(events.length, lastGroup * this.size);
        data = body.subarray(chunkOffsets[firstGroup], chunkOffsets[lastGroup]);
      } else {
        end = Math.min(to, this.groupEnd(from));
        data = frameChunk(Buffer.concat(events.slice(from, end)));
      }
      this.written = end;
      this.progress.events = end;
      this.progress.bytes = eventOffsets[end]!;
      if (!(await this.write(data))) return false;
    }
    return !closed(this.res);
  }

  /**
   * Ends the stream inside event `event`, after `bytes` of its bytes: the HTTP chunk holding
   * it is announced whole, then only its head is written, then the socket is destroyed (FIN)
   * or reset (RST) once all of it has been handed to the kernel (destroying earlier would
   * discard it).
   */
  async cut(event: number, bytes: number, how: 'drop' | 'reset'): Promise<void> {
    const events = this.framed.events;
    if (!(await this.writeEvents(Math.max(this.written, this.groupStart(event))))) return;
    const socket = this.res.socket;
    if (socket === null || socket.destroyed) return;
    const from = this.written;
    const head = Buffer.concat([...events.slice(from, event), events[event]!.subarray(0, bytes)]);
    const finish = () => {
      this.progress.outcome = how === 'drop' ? 'dropped' : 'reset';
      if (how === 'reset' && typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
      else socket.destroy();
    };
    if (head.length === 0) {
      // The cut falls between chunks: nothing of the next chunk goes out. An empty socket
      // write calls back after everything before it.
      socket.write(Buffer.alloc(0), finish);
      return;
    }
    let total = 0;
    for (let i = from; i < Math.max(from + 1, this.groupEnd(event)); i++)
      total += events[i]!.length;
    this.progress.events = event;
    this.progress.bytes = this.framed.eventOffsets[event]! + bytes;
    const announced = Buffer.from(`${total.toString(16)}\r\n`, 'latin1');
    this.res.write(Buffer.concat([announced, head]), finish);
  }

  async trickle(bytesPerWrite: number, intervalMs: number): Promise<void> {
    const body = Buffer.concat(this.framed.events as Buffer[]);
    for (let offset = 0; offset < body.length; offset += bytesPerWrite) {
      const piece = body.subarray(offset, offset + bytesPerWrite);
      this.progress.bytes += piece.length;
      if (!(await this.write(frameChunk(piece)))) return;
      if (intervalMs > 0) await abortableSleep(intervalMs, this.signal);
      else await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.progress.events = this.framed.events.length;
    this.end('complete');
  }

  /** Sends `extra` as a chunk of its own, then the last chunk, then ends the response. */
  end(outcome: WireProgress['outcome'], extra?: Buffer): void {
    if (closed(this.res)) return;
    this.progress.outcome = outcome;
    if (extra !== undefined) {
      this.progress.bytes += extra.length;
      this.res.write(frameChunk(extra));
    }
    this.res.end(LAST_CHUNK);
  }
}

/** An SSE `error` event as the API sends it inside a stream. */
export function encodeErrorEvent(errorType: string, message: string): Buffer {
  const payload = JSON.stringify({ type: 'error', error: { type: errorType, message } });
  return Buffer.from(`event: error\ndata: ${payload}\n\n`);
}

/**
 * Streams the plan's events onto `res`, whose head is written with `transfer-encoding:
 * chunked` but not yet sent, applying its fault. Resolves when the response is over, however
 * it ended.
 */
export async function writeStream(
  res: ServerResponse,
  plan: StreamPlan,
  progress: WireProgress,
): Promise<void> {
  const { framed } = plan;
  res.on('close', () => {
    if (progress.outcome === 'pending') progress.outcome = 'client-closed';
  });
  // Headers go out first, on their own: a drop after 0 events is then "200, then nothing".
  res.flushHeaders();
  // From here on the body is framed here, not by Node: chunks land exactly where faults need.
  res.chunkedEncoding = false;
  const n = framed.events.length;
  const fault = plan.fault?.fires ? plan.fault : undefined;
  if (fault === undefined || fault.kind === 'http') {
    // The fault-free path: one write of the pre-framed body, last chunk included.
    progress.events = n;
    progress.bytes = framed.eventOffsets[n]!;
    progress.outcome = 'complete';
    res.end(framed.body);
    return;
  }
  const writer = new Writer(res, framed, plan.signal, progress);
  switch (fault.kind) {
    case 'drop':
    case 'reset':
      return writer.cut(fault.event, fault.bytes, fault.kind);
    case 'eof':
      if (await writer.writeEvents(fault.afterEvents)) writer.end('eof');
      return;
    case 'error':
      if (await writer.writeEvents(fault.afterEvents)) {
        const encode = plan.errorEvent ?? encodeErrorEvent;
        writer.end('error-event', encode(fault.errorType, fault.message));
      }
      return;
    case 'stall': {
      if (!(await writer.writeEvents(fault.afterEvents))) return;
      await abortableSleep(fault.ms, plan.signal);
      if (fault.afterStall === 'drop') return writer.cut(fault.afterEvents, 0, 'drop');
      if (await writer.writeEvents(n)) writer.end('complete');
      return;
    }
    case 'trickle':
      return writer.trickle(fault.bytesPerWrite, fault.intervalMs);
  }
}

/** The status a non-streaming answer gets for an `error` fault's type. */
export function jsonErrorStatus(errorType: string): number {
  if (errorType === 'overloaded_error') return 529;
  if (errorType === 'rate_limit_error') return 429;
  return 500;
}

/**
 * A non-streaming answer, with the fault's equivalent on a JSON body: `error` becomes the
 * status for its type, drop/reset/eof cut the body halfway short of its content-length, a stall
 * delays it, a trickle writes it in small pieces. Resolves to the status sent.
 */
export async function writeJson(
  res: ServerResponse,
  json: Buffer,
  headers: Record<string, string>,
  fault: ResolvedFault | undefined,
  signal?: AbortSignal,
): Promise<number> {
  const head = {
    ...headers,
    'content-type': 'application/json',
    'content-length': String(json.length),
  };
  if (fault === undefined || !fault.fires) {
    res.writeHead(200, head);
    res.end(json);
    return 200;
  }
  switch (fault.kind) {
    case 'error': {
      const status = jsonErrorStatus(fault.errorType);
      const body = errorBody(fault.errorType, fault.message, headers['request-id'] ?? '');
      res.writeHead(status, {
        ...headers,
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
      });
      res.end(body);
      return status;
    }
    case 'stall':
      await abortableSleep(fault.ms, signal);
      if (fault.afterStall === 'continue') {
        res.writeHead(200, head);
        res.end(json);
        return 200;
      }
      res.writeHead(200, head);
      res.flushHeaders();
      res.socket?.write(Buffer.alloc(0), () => res.socket?.destroy());
      return 200;
    case 'trickle':
      res.writeHead(200, head);
      for (let offset = 0; offset < json.length && !res.destroyed; offset += fault.bytesPerWrite) {
        if (!res.write(json.subarray(offset, offset + fault.bytesPerWrite)))
          await once(res, 'drain');
        await abortableSleep(fault.intervalMs, signal);
      }
      res.end();
      return 200;
    default: {
      // drop, reset, eof: the body stops halfway, short of its content-length.
      res.writeHead(200, head);
      const socket = res.socket;
      res.write(json.subarray(0, Math.floor(json.length / 2)), () => {
        if (fault.kind === 'reset' && socket && typeof socket.resetAndDestroy === 'function')
          socket.resetAndDestroy();
        else socket?.destroy();
      });
      return 200;
    }
  }
}
