/**
 * The configured upstream: one keep-alive undici `Pool` per origin. Requests go only to the
 * origin the proxy was started with; the path comes from the client, the host never does
 * (an absolute-form request target cannot redirect the proxy elsewhere).
 */
import type { Readable } from 'node:stream';
import { type Dispatcher, Pool } from 'undici';
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
