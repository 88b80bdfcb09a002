/**
 * The one adapter both client integrations share: given a `fetch`-shaped function, run a
 * streaming `POST /v1/messages` through the engine and hand back a `Response` whose body is
 * the spliced stream. Everything else goes to the underlying fetch untouched.
 */
import { type EngineOptions, runStream, type UpstreamResponse } from '../engine/index.js';
import {
  checkRequestBody,
  type MessageRequestBody,
  type RecoveryReport,
  summarize,
} from '../resume/index.js';
import { readAhead } from './read-ahead.js';
import { type ReconnectOptions, reconnectingBody, STREAM_ID_HEADER } from './reconnect.js';

/** Where the integrations write their one-line summaries: `console`, a pino logger, or the SDK client's logger. */
export interface LifelineLogger {
  /** A clean run or a passthrough. */
  info(message: string): void;
  /** A recovery or a failure. */
  warn(message: string): void;
}

/** Options of `lifelineMiddleware` and `lifelineFetch`: the engine's options (`EngineOptions`, without `signal`: the request's own is used) and the logger. */
export interface LifelineOptions extends Omit<EngineOptions, 'signal'> {
  /** Where the one-line recovery summary goes (default: console.warn for recoveries, nothing for clean runs). `false` silences it. */
  logger?: LifelineLogger | false;
  /**
   * Against a resumable lifeline gateway (its responses carry `x-lifeline-stream-id`), a
   * dropped connection is reconnected to the rest of the stream instead of continued upstream.
   * `false` turns this off.
   */
  reconnect?: ReconnectOptions | false;
}

/** The request fields the integrations read. */
export interface OutgoingRequest {
  url: string;
  method: string;
  headers: Headers;
  body: string | undefined;
  signal: AbortSignal | undefined;
}

const MESSAGES_PATH = /\/v1\/messages\/?$/;

/** The parsed body when this is a streaming Messages request we protect, else undefined. */
export function protectable(request: OutgoingRequest): MessageRequestBody | undefined {
  if (request.method.toUpperCase() !== 'POST' || request.body === undefined) return undefined;
  let pathname: string;
  try {
    pathname = new URL(request.url).pathname;
  } catch {
    return undefined;
  }
  if (!MESSAGES_PATH.test(pathname)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(request.body);
  } catch {
    return undefined; // the API will answer with its own 400; not ours to judge
  }
  if (checkRequestBody(parsed) !== undefined) return undefined;
  const body = parsed as MessageRequestBody;
  return body.stream === true ? body : undefined;
}

const defaultLogger: LifelineLogger = {
  info: () => {},
  warn: (message) => console.warn(message),
};

function headersForDownstream(headers: Headers): Headers {
  const out = new Headers(headers);
  // The body we return is already decoded and its length is not known in advance.
  out.delete('content-encoding');
  out.delete('content-length');
  out.set('x-lifeline', 'protected');
  return out;
}

function toReadable(body: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const iterator = body[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await iterator.next();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (err) {
        controller.error(err);
      }
    },
    async cancel(reason) {
      await iterator.return?.(reason);
    },
  });
}

/**
 * Runs `request` through the engine, sending each attempt with `send` (the underlying fetch or
 * the SDK's `next`). Returns the response the client should see.
 */
export async function protect(
  request: OutgoingRequest,
  body: MessageRequestBody,
  send: (init: OutgoingRequest) => Promise<Response>,
  options: LifelineOptions = {},
): Promise<Response> {
  const { reconnect: _reconnect, logger: _logger, ...engineOptions } = options;
  const logger = options.logger === false ? undefined : (options.logger ?? defaultLogger);
  const onReport = (report: RecoveryReport) => {
    options.onReport?.(report);
    if (logger === undefined) return;
    if (report.outcome === 'clean' || report.outcome === 'passthrough')
      logger.info(summarize(report));
    else logger.warn(summarize(report));
  };
  const result = await runStream(
    body,
    async ({ body: attemptBody, signal }): Promise<UpstreamResponse> => {
      const headers = new Headers(request.headers);
      headers.delete('content-length');
      const attempt = { ...request, headers, body: JSON.stringify(attemptBody), signal };
      const response = await send(attempt);
      const streamId = response.headers.get(STREAM_ID_HEADER);
      if (response.status !== 200 || response.body === null) return response;
      if (options.reconnect === false || streamId === null) {
        // Read ahead, so that the bytes received before a drop all reach the engine (fetch
        // drops those still queued in its body when the connection fails).
        return {
          status: response.status,
          headers: response.headers,
          body: readAhead(response.body),
        };
      }
      return {
        status: response.status,
        headers: response.headers,
        body: reconnectingBody(response, streamId, attempt, send, options.reconnect),
      };
    },
    { ...engineOptions, onReport, signal: request.signal },
  );
  if (result.kind === 'passthrough') {
    const r = result.response;
    if (r instanceof Response) return r;
    const passBody =
      r.body === null || r.body instanceof ReadableStream ? r.body : toReadable(r.body);
    return new Response(passBody, { status: r.status, headers: r.headers });
  }
  return new Response(toReadable(result.body), {
    status: result.status,
    headers: headersForDownstream(result.headers),
  });
}
