/**
 * Everything the engine does not protect (models, count_tokens, batches, files, non-streaming
 * messages...) goes to the upstream unchanged: method, path, query, headers (minus hop-by-hop),
 * body streamed up, status, headers and body streamed down with backpressure.
 */
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  acceptBody,
  BodyTooLargeError,
  bodyLimit,
  limitBody,
  refuseTooLarge,
} from './admission.js';
import type { Exchange, ProxyContext } from './exchange.js';
import {
  discardRest,
  downstreamResponseHeaders,
  sendApiError,
  upstreamRequestHeaders,
} from './http.js';
import type { UpstreamResponse } from './upstream.js';

/** Non-streaming calls can legitimately take minutes; past this, give the client an answer. */
const PASSTHROUGH_TIMEOUT_MS = 10 * 60_000;

/** The explanation sent when the upstream cannot be reached at all. */
export function unreachableMessage(ctx: ProxyContext, err: unknown): string {
  const code = (err as { code?: unknown }).code;
  const detail = err instanceof Error ? err.message : String(err);
  return (
    `lifeline: could not reach the upstream ${ctx.upstream.origin}` +
    `${typeof code === 'string' ? ` (${code})` : ''}: ${detail}. ` +
    "Check the proxy's --upstream setting and the network between the proxy and it."
  );
}

/**
 * Forwards the exchange. `body`: the request body when the proxy already read it; otherwise
 * the client's body is streamed through.
 */
export async function forward(
  ex: Exchange,
  ctx: ProxyContext,
  body: Buffer | undefined,
): Promise<void> {
  const { req, res } = ex;
  const hasBody =
    body !== undefined ||
    req.headers['content-length'] !== undefined ||
    req.headers['transfer-encoding'] !== undefined;
  let upstreamBody: Buffer | Readable | undefined;
  const limit = bodyLimit(ctx.settings, ex.path);
  let tooLarge = false;
  if (body !== undefined) upstreamBody = body;
  else if (hasBody) {
    // Streamed up as it comes, and cut off (the upstream request aborted) past the limit.
    const limiter = limitBody(limit);
    limiter.once('error', (err) => {
      if (!(err instanceof BodyTooLargeError)) return;
      tooLarge = true;
      req.unpipe(limiter);
    });
    acceptBody(ex);
    upstreamBody = req.pipe(limiter);
  }
  const headers = upstreamRequestHeaders(req.headers, { rewrittenBody: false });
  if (body !== undefined) headers['content-length'] = String(body.length);

  let response: UpstreamResponse;
  try {
    // Its body keeps what arrived before a cut, so a cut body reaches the client whole.
    response = await ctx.upstream.stream({
      method: ex.method,
      path: ex.path + ex.search,
      headers,
      body: upstreamBody,
      signal: ex.signal,
      headersTimeoutMs: PASSTHROUGH_TIMEOUT_MS,
      bodyTimeoutMs: PASSTHROUGH_TIMEOUT_MS,
    });
  } catch (err) {
    if (ex.signal.aborted) return;
    if (tooLarge) {
      ctx.metrics.refused.inc({ reason: 'too_large' });
      refuseTooLarge(ex, limit, undefined);
      discardRest(req, limit);
      return;
    }
    ctx.metrics.upstreamResponses.inc({ status: 'error' });
    ex.log.upstreamError = err instanceof Error ? err.message : String(err);
    sendApiError(res, 502, 'api_error', unreachableMessage(ctx, err), {
      'x-lifeline-request-id': ex.id,
    });
    return;
  }
  ctx.metrics.upstreamResponses.inc({ status: String(response.statusCode) });
  const requestId = response.headers['request-id'];
  if (typeof requestId === 'string') ex.log.upstreamRequestId = requestId;
  res.writeHead(response.statusCode, {
    ...downstreamResponseHeaders(response.headers, { rewrittenBody: false }),
    'x-lifeline-request-id': ex.id,
  });
  try {
    await pipeline(response.body, res);
  } catch (err) {
    // The upstream died mid-body or the client left: the client sees a short body, as it
    // would without the proxy (this path is not protected).
    if (!ex.signal.aborted) ex.log.upstreamError = err instanceof Error ? err.message : String(err);
    res.destroy();
  }
}
