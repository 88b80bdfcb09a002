/**
 * Network probes for `doctor`: is the upstream reachable (and through what), and does an SSE
 * stream reach us as it is produced or in one burst at the end (an intermediary buffering it).
 *
 * Requests go through undici with the proxy a proxy-aware client would use (HTTPS_PROXY and
 * NO_PROXY from the probed environment), so the result describes that path.
 */
import { Agent, type Dispatcher, ProxyAgent, request } from 'undici';
import { USER_AGENT } from '../../version.js';
import { explain } from '../explain/explain.js';
import { type Env, isLoopback, proxyFor, redact } from './env.js';
import type { SseReport, UpstreamReport } from './snapshot.js';

export const ANTHROPIC_VERSION = '2023-06-01';
/** Body bytes read from the models listing; the rest is discarded. */
const MAX_PROBE_BODY = 64 * 1024;

export interface Route {
  readonly dispatcher: Dispatcher;
  readonly via: 'direct' | 'proxy';
  readonly proxy: string | null;
}

export function routeFor(url: URL, env: Env): Route {
  const proxy = proxyFor(url, env);
  if (proxy === undefined) return { dispatcher: new Agent(), via: 'direct', proxy: null };
  return { dispatcher: new ProxyAgent(proxy), via: 'proxy', proxy: redact(proxy) };
}

/**
 * Credentials for a probe. The key is only sent where the SDK would send it anyway, and never
 * in clear text over a network: https, or plain http to this machine.
 */
export function probeAuth(
  url: URL,
  env: Env,
): { headers: Record<string, string>; auth: UpstreamReport['auth'] } {
  const key = env.ANTHROPIC_API_KEY;
  const token = env.ANTHROPIC_AUTH_TOKEN;
  if (!key && !token) return { headers: {}, auth: 'not sent: no key set' };
  if (url.protocol !== 'https:' && !isLoopback(url)) {
    return { headers: {}, auth: 'not sent: plain http to a remote host' };
  }
  return {
    headers: key ? { 'x-api-key': key } : { authorization: `Bearer ${token}` },
    auth: 'sent',
  };
}

/** Joins a base URL and an API path the way the SDKs do (one slash between them). */
export function apiUrl(base: string, path: string): URL {
  return new URL(`${base.replace(/\/+$/, '')}${path}`);
}

export interface UpstreamProbeInput {
  readonly base: string;
  readonly source: UpstreamReport['source'];
  readonly env: Env;
  readonly timeoutMs: number;
}

/** GET <base>/v1/models: reachability, status, latency and intermediaries on the path. */
export async function probeUpstream(input: UpstreamProbeInput): Promise<UpstreamReport> {
  const probe = apiUrl(input.base, '/v1/models');
  const route = routeFor(probe, input.env);
  const { headers, auth } = probeAuth(probe, input.env);
  const base = {
    url: redact(input.base),
    source: input.source,
    probeUrl: redact(probe.href),
    via: route.via,
    proxy: route.proxy,
    auth,
  };
  const started = performance.now();
  try {
    const res = await request(probe, {
      method: 'GET',
      headers: {
        ...headers,
        'anthropic-version': ANTHROPIC_VERSION,
        accept: 'application/json',
        'user-agent': USER_AGENT,
      },
      dispatcher: route.dispatcher,
      headersTimeout: input.timeoutMs,
      bodyTimeout: input.timeoutMs,
      signal: AbortSignal.timeout(input.timeoutMs),
    });
    const headersMs = elapsed(started);
    await drain(res.body, MAX_PROBE_BODY);
    return {
      ...base,
      reachable: true,
      status: res.statusCode,
      headersMs,
      totalMs: elapsed(started),
      server: headerValue(res.headers, 'server'),
      intermediaries: intermediariesFrom(res.headers),
      error: null,
      errorSignature: null,
    };
  } catch (err) {
    const error = describeError(err, input.timeoutMs);
    return {
      ...base,
      reachable: false,
      status: null,
      headersMs: null,
      totalMs: elapsed(started),
      server: null,
      intermediaries: [],
      error,
      errorSignature: signatureOf(error),
    };
  } finally {
    await route.dispatcher.close().catch(() => undefined);
  }
}

export interface SseProbeInput {
  readonly url: URL;
  readonly method: 'GET' | 'POST';
  readonly headers: Record<string, string>;
  readonly body?: string;
  readonly env: Env;
  /** Time allowed for the headers, and for each silence between chunks. */
  readonly timeoutMs: number;
  /** Cap on the whole probe. */
  readonly totalTimeoutMs: number;
}

/** Arrival of one body chunk, for the buffering verdict. */
export interface ChunkArrival {
  /** Milliseconds since the request started. */
  readonly atMs: number;
  readonly bytes: number;
  /** SSE events completed by this chunk. */
  readonly events: number;
}

/** Streams a response and times every chunk; the verdict comes from `classifyArrivals`. */
export async function probeSse(input: SseProbeInput): Promise<SseReport> {
  const route = routeFor(input.url, input.env);
  const started = performance.now();
  const base = { url: redact(input.url.href), method: input.method };
  const arrivals: ChunkArrival[] = [];
  let headersMs: number | null = null;
  let status: number | null = null;
  let contentType: string | null = null;
  try {
    const res = await request(input.url, {
      method: input.method,
      headers: input.headers,
      body: input.body,
      dispatcher: route.dispatcher,
      headersTimeout: input.timeoutMs,
      bodyTimeout: input.timeoutMs,
      signal: AbortSignal.timeout(input.totalTimeoutMs),
    });
    headersMs = elapsed(started);
    status = res.statusCode;
    contentType = headerValue(res.headers, 'content-type');
    const counter = new EventCounter();
    for await (const chunk of res.body) {
      const bytes = chunk as Uint8Array;
      arrivals.push({
        atMs: elapsed(started),
        bytes: bytes.byteLength,
        events: counter.feed(bytes),
      });
    }
    if (status < 200 || status > 299) {
      return failed(
        base,
        status,
        contentType,
        headersMs,
        arrivals,
        `the stream request answered HTTP ${status}`,
      );
    }
    const verdict = classifyArrivals(arrivals);
    if (verdict.verdict === 'inconclusive' && !(contentType ?? '').includes('event-stream')) {
      const reason = `${verdict.reason}; the response is ${contentType ?? 'untyped'}, not text/event-stream: point the probe at a streaming endpoint`;
      return { ...base, status, contentType, headersMs, ...verdict, reason };
    }
    return { ...base, status, contentType, headersMs, ...verdict };
  } catch (err) {
    return failed(
      base,
      status,
      contentType,
      headersMs,
      arrivals,
      `the stream request failed: ${describeError(err, input.timeoutMs)}`,
    );
  } finally {
    await route.dispatcher.close().catch(() => undefined);
  }
}

function failed(
  base: { url: string; method: 'GET' | 'POST' },
  status: number | null,
  contentType: string | null,
  headersMs: number | null,
  arrivals: readonly ChunkArrival[],
  reason: string,
): SseReport {
  const events = arrivals.reduce((n, a) => n + a.events, 0);
  return {
    ...base,
    verdict: 'failed',
    status,
    contentType,
    chunks: arrivals.length,
    events,
    bytes: arrivals.reduce((n, a) => n + a.bytes, 0),
    headersMs,
    firstEventMs: null,
    lastEventMs: null,
    largestBurstShare: null,
    reason,
  };
}

/** Fewer events than this cannot show whether they were spread out. */
const MIN_EVENTS = 3;
/** Chunks closer together than this belong to one burst (one flush, or one TCP read). */
const BURST_GAP_MS = 15;
/** A burst holding at least this share of all events means they were held back. */
const BUFFERED_SHARE = 0.9;
/**
 * Below this much time to the burst, the upstream may simply have been fast: a buffered
 * verdict needs a wait that a streaming upstream would have filled with events.
 */
const MIN_WAIT_MS = 200;

export type ArrivalVerdict = Pick<
  SseReport,
  | 'verdict'
  | 'chunks'
  | 'events'
  | 'bytes'
  | 'firstEventMs'
  | 'lastEventMs'
  | 'largestBurstShare'
  | 'reason'
>;

/**
 * Decides from chunk arrival times whether the stream was delivered as produced. Buffered: at
 * least 90% of the events arrived in one burst, after a wait of 200 ms or more. Streaming:
 * they were spread out. Inconclusive: too few events, or everything was over too fast to tell.
 */
export function classifyArrivals(arrivals: readonly ChunkArrival[]): ArrivalVerdict {
  const events = arrivals.reduce((n, a) => n + a.events, 0);
  const bytes = arrivals.reduce((n, a) => n + a.bytes, 0);
  const withEvents = arrivals.filter((a) => a.events > 0);
  const firstEventMs = withEvents[0]?.atMs ?? null;
  const lastEventMs = withEvents.at(-1)?.atMs ?? null;
  const common = { chunks: arrivals.length, events, bytes, firstEventMs, lastEventMs };
  if (events < MIN_EVENTS || firstEventMs === null || lastEventMs === null) {
    return {
      ...common,
      verdict: 'inconclusive',
      largestBurstShare: null,
      reason: `only ${events} SSE event(s) arrived: too few to tell whether they were buffered`,
    };
  }
  let largest = 0;
  let current = 0;
  let previousAt = Number.NEGATIVE_INFINITY;
  for (const a of withEvents) {
    current = a.atMs - previousAt <= BURST_GAP_MS ? current + a.events : a.events;
    largest = Math.max(largest, current);
    previousAt = a.atMs;
  }
  const share = round2(largest / events);
  const spread = round(lastEventMs - firstEventMs);
  if (share >= BUFFERED_SHARE && firstEventMs >= MIN_WAIT_MS) {
    return {
      ...common,
      verdict: 'buffered',
      largestBurstShare: share,
      reason: `${Math.round(share * 100)}% of ${events} SSE events arrived in one burst ${formatMs(firstEventMs)} after the request (spread ${formatMs(spread)}): an intermediary buffers the event stream`,
    };
  }
  if (share >= BUFFERED_SHARE) {
    return {
      ...common,
      verdict: 'inconclusive',
      largestBurstShare: share,
      reason: `all ${events} SSE events arrived within ${formatMs(lastEventMs)}: the stream was too quick to tell buffering from a fast upstream`,
    };
  }
  return {
    ...common,
    verdict: 'streaming',
    largestBurstShare: share,
    reason: `${events} SSE events arrived in ${arrivals.length} chunks spread over ${formatMs(spread)}; the largest burst held ${Math.round(share * 100)}% of them`,
  };
}

const LF = 10;
const CR = 13;

/**
 * Counts SSE events (blank-line terminators: LF LF, CR LF CR LF, CR CR) across chunk
 * boundaries, keeping only the last bytes seen rather than the stream.
 */
export class EventCounter {
  #tail: number[] = [];

  feed(bytes: Uint8Array): number {
    let count = 0;
    for (const b of bytes) {
      if (b !== LF && b !== CR) {
        this.#tail = [];
        continue;
      }
      this.#tail.push(b);
      const t = this.#tail;
      const n = t.length;
      // A line end followed by another line end is a blank line: the event ends there.
      const blank =
        (b === LF && n >= 2 && t[n - 2] === LF) ||
        (b === LF && n >= 4 && t[n - 2] === CR && t[n - 3] === LF && t[n - 4] === CR) ||
        (b === CR && n >= 2 && t[n - 2] === CR);
      if (blank) {
        count += 1;
        this.#tail = [];
      }
    }
    return count;
  }
}

/** Recognised intermediaries from response headers. */
export function intermediariesFrom(
  headers: Record<string, string | string[] | undefined>,
): string[] {
  const found = new Set<string>();
  const server = (headerValue(headers, 'server') ?? '').toLowerCase();
  if (server.includes('cloudflare') || headers['cf-ray'] !== undefined) found.add('cloudflare');
  if (server.includes('awselb')) found.add('aws-elb');
  if (server.includes('nginx') || server.includes('openresty')) found.add('nginx');
  if (server.includes('envoy') || headers['x-envoy-upstream-service-time'] !== undefined)
    found.add('envoy');
  if (server.includes('cloudfront') || headers['x-amz-cf-id'] !== undefined)
    found.add('cloudfront');
  if (server.includes('caddy')) found.add('caddy');
  if (server.includes('squid') || headers['x-squid-error'] !== undefined) found.add('squid');
  if (headers['x-served-by'] !== undefined && headers['x-fastly-request-id'] !== undefined)
    found.add('fastly');
  const via = headerValue(headers, 'via');
  if (via !== null) found.add(`via: ${via}`);
  return [...found].sort();
}

function headerValue(
  headers: Record<string, string | string[] | undefined>,
  name: string,
): string | null {
  const v = headers[name];
  if (v === undefined) return null;
  return Array.isArray(v) ? v.join(', ') : v;
}

async function drain(
  body: AsyncIterable<unknown> & { destroy(): unknown },
  limit: number,
): Promise<void> {
  let seen = 0;
  for await (const chunk of body) {
    seen += (chunk as Uint8Array).byteLength;
    if (seen > limit) {
      body.destroy();
      return;
    }
  }
}

/** One line: the error and its cause's code, which is where Node puts the reason. */
export function describeError(err: unknown, timeoutMs: number): string {
  if (!(err instanceof Error)) return String(err);
  if (err.name === 'TimeoutError' || err.name === 'AbortError')
    return `no answer within ${timeoutMs} ms (timed out)`;
  const code = (err as NodeJS.ErrnoException).code;
  const cause = err.cause instanceof Error ? err.cause : undefined;
  const causeCode = cause === undefined ? undefined : (cause as NodeJS.ErrnoException).code;
  const parts = [err.message];
  if (code !== undefined && !err.message.includes(code)) parts.push(`(${code})`);
  if (cause !== undefined)
    parts.push(
      `cause: ${cause.message}${causeCode !== undefined && !cause.message.includes(causeCode) ? ` (${causeCode})` : ''}`,
    );
  return parts.join(' ');
}

function signatureOf(error: string): string | null {
  const result = explain(error);
  return result.matches[0]?.signature.id ?? null;
}

function elapsed(started: number): number {
  return round(performance.now() - started);
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}
