/**
 * Talking to a resumable lifeline gateway (`lifeline proxy --resumable`): when its response
 * carries `x-lifeline-stream-id`, the gateway logs the stream and continues it upstream by
 * itself; what can still break is this client's own connection to it. So instead of planning
 * a continuation, the body reconnects: `GET <base>/v1/lifeline/streams/{id}` with the request's
 * own headers (the stream is bound to its credential) and `Last-Event-ID` set to the last whole
 * event received, and goes on from the next event. Only whole events are passed on, so a
 * reconnect never splits one.
 *
 * When reconnecting fails (the gateway forgot the stream, refused it, or kept failing), the
 * original error is thrown and the engine above recovers the usual way.
 */
import { iterate } from '../engine/body.js';
import { sleep } from '../resume/index.js';
import { type SseFrame, SseFramer } from '../sse/index.js';
import type { OutgoingRequest } from './protect.js';

export const STREAM_ID_HEADER = 'x-lifeline-stream-id';

const MESSAGES_PATH = /\/v1\/messages\/?$/;

/**
 * How `lifelineFetch` and `lifelineMiddleware` reconnect to a resumable lifeline gateway
 * (`lifeline proxy --resumable`) when the connection to it drops: the `reconnect` option
 * (`false` turns reconnecting off).
 */
export interface ReconnectOptions {
  /** Reconnects in a row without a new event before giving up (default 5). */
  maxReconnects?: number;
  /** Wait before reconnect n (1-based): `min(baseDelayMs * 2^(n-1), 2 s)` (default 100 ms). */
  baseDelayMs?: number;
  /** Called on every reconnect (logging, tests). */
  onReconnect?: (info: {
    streamId: string;
    lastEventId: string | undefined;
    reconnect: number;
    error: unknown;
  }) => void;
}

/** The reconnect URL for a stream, beside the request's `/v1/messages` (same base path). */
export function streamUrl(requestUrl: string, streamId: string): string {
  const url = new URL(requestUrl);
  url.pathname = url.pathname.replace(
    MESSAGES_PATH,
    `/v1/lifeline/streams/${encodeURIComponent(streamId)}`,
  );
  url.search = '';
  return url.toString();
}

function isFinal(frame: SseFrame): boolean {
  return frame.event === 'message_stop' || frame.event === 'error';
}

/**
 * The response's body, reconnecting to the gateway whenever the connection breaks before the
 * stream's last event. `send` is the underlying fetch (or the SDK's `next`).
 */
export async function* reconnectingBody(
  first: Response,
  streamId: string,
  request: OutgoingRequest,
  send: (init: OutgoingRequest) => Promise<Response>,
  options: ReconnectOptions = {},
): AsyncGenerator<Uint8Array> {
  const maxReconnects = options.maxReconnects ?? 5;
  const baseDelayMs = options.baseDelayMs ?? 100;
  let body: ReadableStream<Uint8Array> | null = first.body;
  let lastEventId: string | undefined;
  let failures = 0;
  for (;;) {
    const framer = new SseFramer();
    let error: unknown;
    try {
      for await (const chunk of iterate(body)) {
        for (const frame of framer.push(chunk)) {
          if (!frame.isComment) {
            const id = frame.toEvent()?.id;
            if (id !== undefined) lastEventId = id;
            failures = 0;
          }
          yield frame.raw;
          if (isFinal(frame)) return;
        }
      }
      error = new Error('the gateway connection ended before the end of the stream');
    } catch (err) {
      error = err;
    }
    if (request.signal?.aborted) throw request.signal.reason;
    failures++;
    if (failures > maxReconnects || lastEventId === undefined) throw error;
    options.onReconnect?.({ streamId, lastEventId, reconnect: failures, error });
    await sleep(Math.min(baseDelayMs * 2 ** (failures - 1), 2_000), request.signal);
    const headers = new Headers(request.headers);
    for (const name of ['content-type', 'content-length', 'x-stainless-retry-count'])
      headers.delete(name);
    headers.set('accept', 'text/event-stream');
    headers.set('last-event-id', lastEventId);
    let response: Response;
    try {
      response = await send({
        url: streamUrl(request.url, streamId),
        method: 'GET',
        headers,
        body: undefined,
        signal: request.signal,
      });
    } catch (err) {
      if (request.signal?.aborted) throw request.signal.reason;
      body = null; // the next round counts this as one more failure
      error = err;
      continue;
    }
    if (response.status !== 200) {
      // Gone, refused or not ours: the gateway cannot give the rest; recover the usual way.
      await response.body?.cancel().catch(() => {});
      throw error;
    }
    body = response.body;
  }
}
