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

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => p.destroy().catch(() => {})));
  }
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
