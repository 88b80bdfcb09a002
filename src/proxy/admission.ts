/**
 * What the proxy refuses before it contacts the upstream, and how: every refusal is an answer
 * in the API's error shape that clients understand and their SDKs retry when it is worth it,
 * never a reset or a refused connection.
 *
 * - Draining (after SIGTERM): 503 overloaded_error, `retry-after`, `connection: close`.
 * - Overloaded (maxConcurrentRequests reached): 529 overloaded_error with `retry-after`, what
 *   the API itself answers when it is overloaded.
 * - A body over the limit (maxBodyBytes, or its per-path override), declared or streamed:
 *   413 request_too_large, on every path.
 *
 * `Expect: 100-continue` (RFC 9110 section 10.1.1): the client waits for `100 Continue` before
 * it uploads the body. The proxy sends it only once it has decided to read the body; a request
 * refused before then gets its final status instead (and `connection: close`, since its body
 * never comes), so a large upload is never sent only to be dropped.
 */
import { Transform } from 'node:stream';
import { LifelineError } from '../errors.js';
import type { ResolvedProxyConfig } from './config.js';
import type { Exchange } from './exchange.js';
import { sendApiError } from './http.js';

/** The Retry-After the proxy sends when it sheds load or drains, in seconds. */
export const RETRY_AFTER_SECONDS = 1;

export type RefusalReason = 'draining' | 'overloaded' | 'too_large';

/** The body limit for a path: its override in maxBodyBytesByPath, else maxBodyBytes. */
export function bodyLimit(settings: ResolvedProxyConfig, path: string): number {
  return settings.maxBodyBytesByPath?.[path] ?? settings.maxBodyBytes;
}

/** The request's declared Content-Length, when it has a valid one. */
export function declaredLength(ex: Exchange): number | undefined {
  const text = ex.req.headers['content-length'];
  if (text === undefined) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/**
 * Sends `100 Continue` if the client is waiting for it: the proxy is about to read the body.
 * Every handler that reads or forwards a body calls this first.
 */
export function acceptBody(ex: Exchange): void {
  if (!ex.expectsContinue) return;
  ex.expectsContinue = false;
  if (!ex.res.headersSent && !ex.res.destroyed) ex.res.writeContinue();
}

/** Headers every refusal carries; a client still waiting to send its body is told to reconnect. */
function refusalHeaders(ex: Exchange, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'x-lifeline-request-id': ex.id,
    ...(ex.expectsContinue ? { connection: 'close' } : {}),
    ...extra,
  };
}

export function refuseDraining(ex: Exchange): void {
  ex.log.refused = 'draining';
  sendApiError(
    ex.res,
    503,
    'overloaded_error',
    'lifeline: the proxy is shutting down and takes no new requests; retry the request ' +
      '(a load balancer sends it to another instance).',
    refusalHeaders(ex, { 'retry-after': String(RETRY_AFTER_SECONDS), connection: 'close' }),
  );
}

export function refuseOverloaded(ex: Exchange, limit: number): void {
  ex.log.refused = 'overloaded';
  sendApiError(
    ex.res,
    529,
    'overloaded_error',
    `lifeline: the proxy is at its limit of ${limit} requests in flight (maxConcurrentRequests); ` +
      `retry the request after ${RETRY_AFTER_SECONDS} s, or raise the limit.`,
    refusalHeaders(ex, { 'retry-after': String(RETRY_AFTER_SECONDS) }),
  );
}

/**
 * 413 for a body over `limit`. `declared`: the Content-Length that gave it away (none when a
 * chunked body crossed the limit while it was read).
 */
export function refuseTooLarge(ex: Exchange, limit: number, declared: number | undefined): void {
  ex.log.refused = 'too_large';
  sendApiError(
    ex.res,
    413,
    'request_too_large',
    `lifeline: the request body is larger than the proxy's limit of ${limit} bytes for ` +
      `${ex.path}${declared !== undefined ? ` (content-length: ${declared})` : ''}. Send a ` +
      'smaller request, or raise the limit with the maxBodyBytes (or maxBodyBytesByPath) setting.',
    refusalHeaders(ex),
  );
}

/** Thrown into a passthrough upload that crossed the body limit. */
export class BodyTooLargeError extends LifelineError {
  readonly type = 'body-too-large' as const;
  constructor(readonly limit: number) {
    super(`the request body crossed the proxy's limit of ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/**
 * Counts the bytes of a body streamed upstream; past `limit` it fails with BodyTooLargeError,
 * which aborts the upstream request, and stops reading from the client.
 */
export function limitBody(limit: number): Transform {
  let size = 0;
  // A Transform keeps backpressure from undici's socket back to the client's.
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (size > limit) callback(new BodyTooLargeError(limit));
      else callback(null, chunk);
    },
  });
}
