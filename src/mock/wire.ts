/**
 * Writes a pre-encoded SSE response onto an HTTP/1.1 chunked response, injecting a fault at
 * the socket: a drop or reset after N events or K bytes into event N (even inside an HTTP
 * chunk: the chunk-size line announces the whole chunk, then only part of it is written), a
 * clean end without `message_stop`, a stall, an SSE `error` event, or a trickle of small writes.
 *
 * Events are grouped `eventsPerWrite` to an HTTP chunk (one `res.write` each), so a fault can
 * land in the middle of a chunk the way a real intermediary's buffering makes it land.
 */
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { errorBody } from './api.js';
import type { ResolvedFault } from './faults.js';

const CRLF = '\r\n';

/** What went onto the wire, for the request log (SSE bytes, without chunk framing). */
export interface WireProgress {
  /** Events written whole. */
  events: number;
  /** SSE body bytes written (whole events plus any partial one). */
  bytes: number;
  /** How the response ended. */
  outcome: 'pending' | 'complete' | 'dropped' | 'reset' | 'eof' | 'error-event' | 'client-closed';
}

export interface StreamPlan {
  /** Every event of the response, encoded (`event: ...\ndata: ...\n\n`). */
  events: readonly Buffer[];
  eventsPerWrite: number;
  fault: ResolvedFault | undefined;
  /** Pre-joined chunks for the fault-free path (`eventsPerWrite` events each), when cached. */
  chunks?: readonly Buffer[];
  /** Cuts stalls and trickles short when the server shuts down. */
  signal?: AbortSignal;
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

/** Joins events into the HTTP chunks of a fault-free stream. */
export function joinChunks(events: readonly Buffer[], eventsPerWrite: number): Buffer[] {
  if (eventsPerWrite === 1) return [...events];
  const chunks: Buffer[] = [];
  for (let i = 0; i < events.length; i += eventsPerWrite) {
    chunks.push(Buffer.concat(events.slice(i, i + eventsPerWrite)));
  }
  return chunks;
}

class Writer {
  /** Events [0, written) are on the wire whole. */
  private written = 0;

  constructor(
    private readonly res: ServerResponse,
    private readonly plan: StreamPlan,
    readonly progress: WireProgress,
  ) {}

  private groupEnd(i: number): number {
    const size = this.plan.eventsPerWrite;
    return Math.min(this.plan.events.length, i - (i % size) + size);
  }

  /** Writes events [written, to) as HTTP chunks aligned to `eventsPerWrite` groups. */
  async writeEvents(to: number): Promise<boolean> {
    const { events, eventsPerWrite, chunks } = this.plan;
    while (this.written < to) {
      if (closed(this.res)) return false;
      const i = this.written;
      const end = Math.min(to, this.groupEnd(i));
      let chunk: Buffer;
      if (chunks !== undefined && i % eventsPerWrite === 0 && end - i === eventsPerWrite) {
        chunk = chunks[i / eventsPerWrite]!;
      } else {
        chunk = end - i === 1 ? events[i]! : Buffer.concat(events.slice(i, end));
      }
      const more = this.res.write(chunk);
      this.written = end;
      this.progress.events = end;
      this.progress.bytes += chunk.length;
      // Await only under backpressure: a synchronous loop is what keeps hundreds of streams cheap.
      if (!more) await drained(this.res);
    }
    return !closed(this.res);
  }

  /**
   * Ends the stream inside event `event`, after `bytes` of its bytes: the HTTP chunk holding
   * it is announced whole, then only its head is written, then the socket is destroyed (FIN)
   * or reset (RST). Written to the socket directly: it is the same stream Node writes its
   * chunks to, so the order holds, and the socket is destroyed only once all of it has been
   * handed to the kernel (destroying earlier would discard it).
   */
  async cut(event: number, bytes: number, how: 'drop' | 'reset'): Promise<void> {
    const events = this.plan.events;
    // Whole chunks before the one that holds the cut go out as usual.
    const size = this.plan.eventsPerWrite;
    if (!(await this.writeEvents(Math.max(this.written, event - (event % size))))) return;
    const socket = this.res.socket;
    if (socket === null || socket.destroyed) return;
    const from = this.written;
    const group = events.slice(from, Math.max(from, this.groupEnd(event)));
    const head = Buffer.concat([...events.slice(from, event), events[event]!.subarray(0, bytes)]);
    const finish = () => {
      this.progress.outcome = how === 'drop' ? 'dropped' : 'reset';
      if (how === 'reset' && typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
      else socket.destroy();
    };
    if (head.length === 0) {
      // The cut falls between chunks: nothing of the next chunk goes out.
      socket.write(Buffer.alloc(0), finish);
      return;
    }
    const total = group.reduce((sum, b) => sum + b.length, 0);
    this.progress.events = event;
    this.progress.bytes += head.length;
    socket.write(Buffer.concat([Buffer.from(total.toString(16) + CRLF, 'latin1'), head]), finish);
  }

  async trickle(bytesPerWrite: number, intervalMs: number): Promise<void> {
    const body = Buffer.concat(this.plan.events as Buffer[]);
    for (let offset = 0; offset < body.length; offset += bytesPerWrite) {
      if (closed(this.res)) return;
      const piece = body.subarray(offset, offset + bytesPerWrite);
      const more = this.res.write(piece);
      this.progress.bytes += piece.length;
      if (!more) await drained(this.res);
      if (intervalMs > 0) await abortableSleep(intervalMs, this.plan.signal);
      else await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.progress.events = this.plan.events.length;
    this.end('complete');
  }

  end(outcome: WireProgress['outcome']): void {
    if (closed(this.res)) return;
    this.progress.outcome = outcome;
    this.res.end();
  }
}

/** An SSE `error` event as the API sends it inside a stream. */
export function encodeErrorEvent(errorType: string, message: string): Buffer {
  const payload = JSON.stringify({ type: 'error', error: { type: errorType, message } });
  return Buffer.from(`event: error\ndata: ${payload}\n\n`);
}

/**
 * Streams the plan's events onto `res` (headers already set, not yet sent), applying its fault.
 * Resolves when the response is over, however it ended.
 */
export async function writeStream(
  res: ServerResponse,
  plan: StreamPlan,
  progress: WireProgress,
): Promise<void> {
  const writer = new Writer(res, plan, progress);
  res.on('close', () => {
    if (progress.outcome === 'pending') progress.outcome = 'client-closed';
  });
  // Headers go out first, on their own: a drop after 0 events is then "200, then nothing".
  res.flushHeaders();
  const n = plan.events.length;
  const fault = plan.fault?.fires ? plan.fault : undefined;
  switch (fault?.kind) {
    case undefined:
    case 'http':
      if (await writer.writeEvents(n)) writer.end('complete');
      return;
    case 'drop':
    case 'reset':
      return writer.cut(fault.event, fault.bytes, fault.kind);
    case 'eof':
      if (await writer.writeEvents(fault.afterEvents)) writer.end('eof');
      return;
    case 'error': {
      if (!(await writer.writeEvents(fault.afterEvents))) return;
      const event = encodeErrorEvent(fault.errorType, fault.message);
      res.write(event);
      progress.bytes += event.length;
      writer.end('error-event');
      return;
    }
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
      const status =
        fault.errorType === 'overloaded_error'
          ? 529
          : fault.errorType === 'rate_limit_error'
            ? 429
            : 500;
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
