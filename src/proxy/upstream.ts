/**
 * The configured upstream: one keep-alive undici `Pool` per origin. Requests go only to the
 * origin the proxy was started with; the path comes from the client, the host never does
 * (an absolute-form request target cannot redirect the proxy elsewhere).
 */
import type { Readable } from 'node:stream';
import { buildConnector, Client, type Dispatcher, Pool } from 'undici';
import type { HeaderRecord } from './http.js';

export interface UpstreamRequest {
  method: string;
  /** Path and query as the client sent them (origin-form); the upstream's base path is prefixed. */
  path: string;
  headers: HeaderRecord;
  body?: string | Buffer | Readable | null | undefined;
  signal?: AbortSignal | undefined;
  /** No limit (0) for engine attempts: the engine's stall timer decides. */
  bodyTimeoutMs?: number;
  headersTimeoutMs?: number;
}

export interface UpstreamOptions {
  /** Cap on connections to the upstream (default 0: none; each open stream holds one). */
  connections?: number;
}

/** Path and query of a request target, whatever its form (origin-form or absolute-form). */
export function requestTarget(url: string | undefined): { path: string; search: string } {
  const raw = url ?? '/';
  let parsed: URL;
  try {
    // The base only fills in a relative target; an absolute one keeps its own host, which we drop.
    parsed = new URL(raw, 'http://proxy.invalid');
  } catch {
    return { path: '/', search: '' };
  }
  return { path: parsed.pathname, search: parsed.search };
}

export class Upstream {
  readonly url: URL;
  readonly origin: string;
  /** The upstream URL's path, without a trailing slash ('' for the root). */
  readonly basePath: string;
  readonly #pools = new Map<string, Pool>();
  readonly #connections: number;

  constructor(url: string, options: UpstreamOptions = {}) {
    this.url = new URL(url);
    this.origin = this.url.origin;
    this.basePath = this.url.pathname.replace(/\/+$/, '');
    this.#connections = options.connections ?? 0;
  }

  #pool(origin: string): Pool {
    let pool = this.#pools.get(origin);
    if (pool === undefined) {
      pool = new Pool(origin, {
        factory: clientWithoutSpareConnections,
        // A stream holds its connection for minutes: a low cap would queue new streams.
        connections: this.#connections === 0 ? null : this.#connections,
        pipelining: 1,
        keepAliveTimeout: 30_000,
        // Per-request timeouts are set in `request`.
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      this.#pools.set(origin, pool);
    }
    return pool;
  }

  request(request: UpstreamRequest): Promise<Dispatcher.ResponseData> {
    return this.#pool(this.origin).request({
      method: request.method as Dispatcher.HttpMethod,
      path: `${this.basePath}${request.path}`,
      headers: request.headers,
      body: request.body ?? null,
      signal: request.signal ?? null,
      bodyTimeout: request.bodyTimeoutMs ?? 0,
      headersTimeout: request.headersTimeoutMs ?? 0,
    });
  }

  /**
   * A request whose response body hands over every byte that arrived before a failure, then
   * the failure. undici's `request()` body cannot: when the connection ends or breaks, undici
   * destroys that Readable at once, and whatever it still buffered (up to its 64 KB high-water
   * mark, read off the socket before the close) is gone. A reader that is a little behind (a
   * loaded machine, a cold start, a trace being written) then sees the stream end early, with
   * "other side closed", tens of KB before where the upstream actually stopped. The engine
   * resumes from what it saw, so those bytes are requested and paid for again. Here the body is
   * our own queue: the error waits behind the data received before it. Backpressure is kept
   * (undici pauses reading while STREAM_HIGH_WATER_MARK bytes wait). An abort (`signal`, or
   * the reader leaving) still ends the body at once.
   */
  stream(request: UpstreamRequest): Promise<UpstreamResponse> {
    return dispatchStream(this.#pool(this.origin), {
      method: request.method as Dispatcher.HttpMethod,
      path: `${this.basePath}${request.path}`,
      headers: request.headers,
      body: request.body ?? null,
      signal: request.signal,
      bodyTimeout: request.bodyTimeoutMs ?? 0,
      headersTimeout: request.headersTimeoutMs ?? 0,
    });
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => p.destroy().catch(() => {})));
  }
}

/** An upstream response whose body yields everything received before an error, then throws it. */
export interface UpstreamResponse {
  statusCode: number;
  headers: Dispatcher.ResponseData['headers'];
  body: AsyncIterable<Uint8Array>;
}

/** Bytes a stream's body may hold unread before undici stops reading its socket. */
export const STREAM_HIGH_WATER_MARK = 64 * 1024;

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return new DOMException('This operation was aborted', 'AbortError');
}

/** `dispatcher.dispatch` with a body that keeps what arrived before an error (Upstream.stream). */
function dispatchStream(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions & { signal: AbortSignal | undefined },
): Promise<UpstreamResponse> {
  const { signal, ...dispatchOptions } = options;
  return new Promise<UpstreamResponse>((resolve, reject) => {
    const queue: Buffer[] = [];
    let queued = 0;
    let controller: Dispatcher.DispatchController | undefined;
    let started = false;
    /** Set once: undefined while the body goes on, null at its clean end, else the error. */
    let ended: Error | null | undefined;
    let wake: (() => void) | undefined;
    const notify = () => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    const onAbort = () => {
      const err = abortError(signal!);
      // An abort is no failure to report after the data: the reader stops now.
      queue.length = 0;
      queued = 0;
      if (ended === undefined) ended = err;
      controller?.abort(err);
      if (!started) reject(err);
      notify();
    };
    if (signal?.aborted) {
      reject(abortError(signal));
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (value: Error | null) => {
      signal?.removeEventListener('abort', onAbort);
      if (ended === undefined) ended = value;
      notify();
    };

    async function* body(): AsyncGenerator<Uint8Array> {
      try {
        while (true) {
          const chunk = queue.shift();
          if (chunk !== undefined) {
            queued -= chunk.length;
            if (
              controller?.paused === true &&
              queued < STREAM_HIGH_WATER_MARK &&
              ended === undefined
            )
              controller.resume();
            yield chunk;
            continue;
          }
          if (ended === null) return;
          if (ended !== undefined) throw ended;
          await new Promise<void>((r) => {
            wake = r;
          });
        }
      } finally {
        // The reader left before the end: the response is not wanted any more.
        if (ended === undefined) {
          ended = new DOMException('The upstream body was not read to its end', 'AbortError');
          signal?.removeEventListener('abort', onAbort);
          controller?.abort(ended);
        }
      }
    }

    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        controller = c;
        if (signal?.aborted) c.abort(abortError(signal));
      },
      onResponseStart(c, statusCode, headers) {
        if (statusCode < 200) return;
        controller = c;
        started = true;
        resolve({ statusCode, headers, body: body() });
      },
      onResponseData(c, chunk) {
        if (ended !== undefined) return;
        queue.push(chunk);
        queued += chunk.length;
        if (queued >= STREAM_HIGH_WATER_MARK) c.pause();
        notify();
      },
      onResponseEnd() {
        finish(null);
      },
      onResponseError(_c, err) {
        if (!started) {
          signal?.removeEventListener('abort', onAbort);
          reject(err);
          return;
        }
        finish(err);
      },
    };
    dispatcher.dispatch(dispatchOptions, handler);
  });
}

/** TCP (or TLS) connections as undici makes them by default. */
const connectSocket = buildConnector({});

/**
 * A pool's Client that closes a connection it opened for nothing. When a request is aborted
 * before its response is complete (the client left, a stall, shutdown), undici closes that
 * request's connection at once but then opens a new one for the aborted request it re-queued
 * (nodejs/undici#5845, fix pending in #5846), and that idle connection stays open until the
 * keep-alive timeout (30 s on a connection that never got a response). A connection that has
 * no request to carry once undici is done setting it up is closed here; the Client stays in
 * the pool and connects again for its next request.
 */
function clientWithoutSpareConnections(origin: URL, options: Client.Options): Dispatcher {
  const client: Client = new Client(origin, {
    ...options,
    connect(connectOptions, callback) {
      connectSocket(connectOptions, (...args: buildConnector.CallbackArgs) => {
        callback(...args);
        const [err, socket] = args;
        if (err !== null) return;
        // undici writes the pending request in the same turn it gets the socket.
        setImmediate(() => {
          const { pending, running } = client.stats;
          if (pending === 0 && running === 0 && !socket.destroyed) socket.destroy();
        });
      });
    },
  });
  return client;
}

/** undici's response headers as a `Headers` (what the engine reads). */
export function toWebHeaders(headers: Dispatcher.ResponseData['headers']): Headers {
  const out = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) out.append(name, v);
    else out.set(name, value);
  }
  return out;
}
