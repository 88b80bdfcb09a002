/**
 * HTTP plumbing the proxy's handlers share: which headers cross the proxy, the API's error
 * shape, bounded request bodies, and backpressure-aware writes.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';

/**
 * Hop-by-hop headers (RFC 9110 section 7.6.1) describe one connection, not the message: never
 * forwarded. `host` is set by the upstream client from the configured upstream.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'http2-settings',
]);

/**
 * Not hop-by-hop, but the proxy's to answer: it sends `100 Continue` itself (admission.ts)
 * and uploads the body as soon as it has it; undici refuses the header anyway.
 */
const HANDLED_HERE = ['expect'];

export type HeaderRecord = Record<string, string | string[]>;

/** Names listed in a `Connection` header are hop-by-hop for that message too. */
function connectionTokens(headers: IncomingHttpHeaders): Set<string> {
  const value = headers.connection;
  const text = Array.isArray(value) ? value.join(',') : (value ?? '');
  return new Set(
    text
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter((t) => t !== ''),
  );
}

function copyHeaders(
  headers: IncomingHttpHeaders,
  drop: ReadonlySet<string>,
  extraDrop: readonly string[],
): HeaderRecord {
  const listed = connectionTokens(headers);
  const out: HeaderRecord = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (drop.has(lower) || listed.has(lower) || extraDrop.includes(lower)) continue;
    out[lower] = value;
  }
  return out;
}

/**
 * The client's headers as sent upstream: credentials, versions, betas and anything else kept;
 * hop-by-hop headers dropped. `rewrittenBody`: the proxy sends its own body (the engine's
 * attempts), so `content-length` is dropped and the encoding pinned to identity, because the
 * engine reads the SSE bytes itself.
 */
export function upstreamRequestHeaders(
  headers: IncomingHttpHeaders,
  options: { rewrittenBody: boolean },
): HeaderRecord {
  const out = copyHeaders(
    headers,
    HOP_BY_HOP,
    options.rewrittenBody ? [...HANDLED_HERE, 'content-length', 'accept-encoding'] : HANDLED_HERE,
  );
  if (options.rewrittenBody) out['accept-encoding'] = 'identity';
  return out;
}

/**
 * The upstream's response headers as sent to the client. `rewrittenBody`: the body is the
 * engine's (spliced stream or assembled JSON), so its length and encoding are the proxy's.
 */
export function downstreamResponseHeaders(
  headers: IncomingHttpHeaders | Headers,
  options: { rewrittenBody: boolean },
): HeaderRecord {
  const record: IncomingHttpHeaders = {};
  if (headers instanceof Headers) {
    for (const [name, value] of headers) record[name] = value;
    const cookies = headers.getSetCookie();
    if (cookies.length > 0) record['set-cookie'] = cookies;
  } else {
    Object.assign(record, headers);
  }
  return copyHeaders(
    record,
    HOP_BY_HOP,
    options.rewrittenBody ? ['content-length', 'content-encoding'] : [],
  );
}

/** The API's error body. Our own errors say `lifeline:` so nobody blames the API for them. */
export function apiErrorBody(errorType: string, message: string): string {
  return JSON.stringify({ type: 'error', error: { type: errorType, message } });
}

/** An SSE `error` event in the API's shape: SDKs raise it as an APIError with this message. */
export function sseErrorEvent(errorType: string, message: string): string {
  return `event: error\ndata: ${apiErrorBody(errorType, message)}\n\n`;
}

/** Answers with an API-shaped JSON error (unless the response has already started). */
export function sendApiError(
  res: ServerResponse,
  status: number,
  errorType: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const body = apiErrorBody(errorType, message);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-should-retry': String(status >= 500),
    ...headers,
  });
  res.end(body);
}

export type BodyResult =
  | { kind: 'ok'; body: Buffer }
  | { kind: 'too-large'; declared: number | undefined }
  | { kind: 'aborted' };

/**
 * Reads a request body up to `limit` bytes. A larger one, declared or sent, yields `too-large`
 * at once; the caller answers 413 and calls `discardRest` so the connection survives.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const declaredText = req.headers['content-length'];
    const declared = declaredText === undefined ? undefined : Number(declaredText);
    if (declared !== undefined && declared > limit) {
      resolve({ kind: 'too-large', declared });
      return;
    }
    const parts: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (result: BodyResult) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      req.off('close', onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        parts.length = 0;
        req.pause();
        settle({ kind: 'too-large', declared });
        return;
      }
      parts.push(chunk);
    };
    const onEnd = () => settle({ kind: 'ok', body: Buffer.concat(parts, size) });
    const onAbort = () => settle({ kind: 'aborted' });
    const onClose = () => {
      if (!req.complete) settle({ kind: 'aborted' });
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAbort);
    req.on('close', onClose);
  });
}

/**
 * After answering an oversized request: read and drop the rest of its body so the client,
 * which may still be uploading, gets our answer rather than a reset; and keep the connection
 * if the body ends soon. A body that goes on past `maxBytes` or `maxMs` loses its socket.
 */
export function discardRest(req: IncomingMessage, maxBytes: number, maxMs = 5_000): void {
  if (req.complete) return;
  let size = 0;
  const stop = () => {
    clearTimeout(timer);
    req.socket.destroy();
  };
  const timer = setTimeout(stop, maxMs);
  timer.unref();
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > maxBytes) stop();
  });
  req.once('end', () => clearTimeout(timer));
  req.once('close', () => clearTimeout(timer));
  req.resume();
}

/**
 * Resolves when `res` can take more (`drain`) or is gone (`close`), whichever comes first,
 * so a slow client makes us stop pulling instead of buffering without bound.
 */
export function drained(res: ServerResponse): Promise<void> {
  if (res.destroyed || res.writableEnded) return Promise.resolve();
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

/** A bounded label for a request path (metrics must not grow with ids in URLs). */
export function routeLabel(path: string): string {
  if (path === '/v1/messages' || path === '/v1/messages/count_tokens') return path;
  if (path === '/healthz' || path === '/metrics') return path;
  // Cloud platform routes carry project, region and model in the path: one label per method.
  const vertex = /\/publishers\/anthropic\/models\/[^/]+:(streamRawPredict|rawPredict)$/i.exec(
    path,
  );
  if (vertex !== null) return `vertex:${vertex[1]}`;
  if (path.startsWith('/model/')) return 'bedrock';
  const known = [
    '/v1/messages/batches',
    '/v1/models',
    '/v1/files',
    '/v1/skills',
    '/v1/organizations',
    '/v1/complete',
  ];
  for (const prefix of known) {
    if (path === prefix) return prefix;
    if (path.startsWith(`${prefix}/`)) return `${prefix}/*`;
  }
  return 'other';
}
