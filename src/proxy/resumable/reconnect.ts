/**
 * `GET /v1/lifeline/streams/{id}`: a client that lost its connection gets the rest of its
 * stream. With `Last-Event-ID: <stream id>:<seq>` (or a bare seq) it gets the events after
 * that one; without, the whole stream from its first event. Events that are not logged yet
 * follow live as they come, then the stream ends as the original would have.
 *
 * Answers, in the API's error shape:
 * - 404 not_found_error: no such stream for this credential (unknown, expired, or created
 *   with another key: the three are indistinguishable on purpose);
 * - 410 not_found_error: the stream's log stopped recording (a limit), it cannot be resumed;
 * - 400 invalid_request_error: a Last-Event-ID that names another stream, or is past the end;
 * - 405 for a method other than GET.
 */
import { acceptBody } from '../admission.js';
import type { Exchange, ProxyContext } from '../exchange.js';
import { drained, sendApiError, sseErrorEvent } from '../http.js';
import { methodNotAllowed } from '../local.js';
import type { Gateway } from './gateway.js';
import { withId } from './recorder.js';
import { StreamLogError } from './store.js';
import { credentialHash, isStreamId, parseLastEventId, sameCredential } from './stream-id.js';
import { readWithTakeover } from './takeover.js';

export const STREAMS_PREFIX = '/v1/lifeline/streams/';

/** The comment a reconnected reader gets while the log is quiet (Redis store). */
const KEEP_ALIVE = ': lifeline waiting for the stream\n\n';

export async function serveReconnect(
  ex: Exchange,
  ctx: ProxyContext,
  gateway: Gateway,
): Promise<void> {
  const { res } = ex;
  acceptBody(ex);
  ex.req.resume();
  if (ex.method !== 'GET') return methodNotAllowed(ex, 'GET');
  const headers = { 'x-lifeline-request-id': ex.id };
  const id = ex.path.slice(STREAMS_PREFIX.length);
  const record = isStreamId(id) ? await gateway.store.get(id) : undefined;
  if (record === undefined || !sameCredential(record.credential, credentialHash(ex.req.headers))) {
    return sendApiError(
      res,
      404,
      'not_found_error',
      `lifeline: no resumable stream ${isStreamId(id) ? id : '(malformed id)'} for this credential. ` +
        `Streams are kept ${Math.round(gateway.ttlMs / 1000)} s after they end and can be read only ` +
        'with the API key that created them; retry the original request.',
      headers,
    );
  }
  const status = await gateway.store.status(id);
  if (status?.end?.kind === 'truncated') {
    return sendApiError(res, 410, 'not_found_error', status.end.message, headers);
  }
  const last = parseLastEventId(headerValue(ex.req.headers['last-event-id']), id);
  if (last.kind === 'invalid') {
    return sendApiError(
      res,
      400,
      'invalid_request_error',
      `lifeline: Last-Event-ID is not an event of stream ${id} (${last.reason}); send the id of ` +
        'the last event received, as the stream sent it ("<stream id>:<seq>").',
      headers,
    );
  }
  const after = last.kind === 'seq' ? last.seq : 0;
  if (status !== undefined && status.end !== undefined && after > status.lastSeq) {
    return sendApiError(
      res,
      400,
      'invalid_request_error',
      `lifeline: Last-Event-ID ${after} is past the end of stream ${id} (${status.lastSeq} events).`,
      headers,
    );
  }
  ex.log.stream = id;
  ex.log.resumedAfter = after;
  res.writeHead(record.status, {
    ...record.headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-lifeline': 'protected',
    'x-lifeline-stream-id': id,
    'x-lifeline-instance': gateway.instance,
    ...headers,
  });
  // Headers out at once: the rest may be a while coming if the stream is still running.
  res.flushHeaders();
  gateway.metrics.reconnects.inc();
  let lastWriteAt = performance.now();
  const keepAliveMs = ctx.settings.keepAliveMs;
  try {
    for await (const item of readWithTakeover(ctx, gateway, id, after, ex.signal, ex.req.headers)) {
      if (item.kind === 'event') {
        const bytes = withId(id, item.event);
        ex.bytesDown += bytes.length;
        lastWriteAt = performance.now();
        if (!res.write(bytes)) await drained(res);
        if (ex.signal.aborted) return;
        continue;
      }
      if (item.kind === 'idle') {
        // Nothing logged for a while (the upstream is slow, or the stream is being taken over):
        // keep the client's read timeout from firing, as the engine does while it recovers.
        if (keepAliveMs > 0 && performance.now() - lastWriteAt >= keepAliveMs) {
          lastWriteAt = performance.now();
          res.write(KEEP_ALIVE);
        }
        continue;
      }
      // `failed`: its error event is the last logged one, already sent.
      if (item.end.kind === 'truncated') return endWithError(ex, item.end.message);
      res.end();
      return;
    }
  } catch (err) {
    if (ex.signal.aborted) return;
    ex.log.error = err instanceof Error ? err.message : String(err);
    return endWithError(
      ex,
      err instanceof StreamLogError
        ? err.message
        : `lifeline: the log of stream ${id} could not be read (${ex.log.error}); retry the request.`,
    );
  }
  // The log went away under the reader (expired or evicted).
  if (!ex.signal.aborted) {
    endWithError(
      ex,
      `lifeline: the log of stream ${id} became unavailable while it was read; retry the request.`,
    );
  }
}

/** Ends the stream with an SSE error event (no id: it is not part of the logged stream). */
function endWithError(ex: Exchange, message: string): void {
  const tail = sseErrorEvent('api_error', message);
  ex.bytesDown += Buffer.byteLength(tail);
  ex.res.end(tail);
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
