/**
 * `POST /v1/messages` through the resume engine.
 *
 * A streaming request runs through `runStream`: every attempt goes to the configured upstream
 * with the client's headers, and the client gets the first attempt's status and headers with
 * the spliced stream as body. With `upgradeNonstreaming`, a non-streaming request is sent as a
 * stream too and the assembled message returned as JSON, so it gains resumption as well.
 *
 * When recovery fails, the client gets the failure in the API's own shape, so its SDK raises an
 * APIError carrying our explanation instead of a bare socket error: a 502 JSON body when no byte
 * was sent yet, else an SSE `error` event and a clean end of the stream.
 */
import type { ServerResponse } from 'node:http';
import {
  betasOf,
  type EngineOptions,
  type EngineResult,
  JsonlTraceWriter,
  runStream,
  type Send,
} from '../engine/index.js';
import { MessageAccumulator, parseStreamEvent } from '../message/index.js';
import {
  checkRequestBody,
  type MessageRequestBody,
  type RecoveryReport,
  StreamInterruptedError,
  summarize,
} from '../resume/index.js';
import { SseDecoder } from '../sse/index.js';
import { acceptBody, bodyLimit, refuseTooLarge } from './admission.js';
import { type Exchange, type ProxyContext, ShutdownError } from './exchange.js';
import { fairSlices } from './fair-share.js';
import {
  discardRest,
  downstreamResponseHeaders,
  drained,
  readBody,
  sendApiError,
  sseErrorEvent,
  upstreamRequestHeaders,
} from './http.js';
import { forward, unreachableMessage } from './passthrough.js';
import type { VertexRoute } from './platforms.js';
import { requestForLog, sendResumable, startProducer } from './resumable/producer.js';
import { toWebHeaders } from './upstream.js';

const STATUS_FOR_ERROR_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  overloaded_error: 529,
};

/**
 * `vertex`: the request came by a Vertex AI predict route, the model in its path (see
 * platforms.ts); the engine sees the body with the model, the upstream without it.
 */
export async function handleMessages(
  ex: Exchange,
  ctx: ProxyContext,
  vertex?: VertexRoute,
): Promise<void> {
  const { res } = ex;
  const limit = bodyLimit(ctx.settings, ex.path);
  acceptBody(ex);
  const read = await readBody(ex.req, limit);
  if (read.kind === 'aborted') return;
  if (read.kind === 'too-large') {
    ctx.metrics.refused.inc({ reason: 'too_large' });
    refuseTooLarge(ex, limit, read.declared);
    discardRest(ex.req, limit);
    return;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(read.body.toString('utf8'));
  } catch (err) {
    sendApiError(
      res,
      400,
      'invalid_request_error',
      `lifeline: the request body is not valid JSON (${err instanceof Error ? err.message : String(err)}). ` +
        'POST /v1/messages takes a JSON object with model, max_tokens and messages.',
      { 'x-lifeline-request-id': ex.id },
    );
    return;
  }
  if (vertex !== undefined) {
    if (!vertex.stream || typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      return forward(ex, ctx, read.body);
    parsed = { ...parsed, model: vertex.model, stream: true };
  }
  // A body the engine cannot work with goes to the API unchanged: its 400 is the authority.
  if (checkRequestBody(parsed) !== undefined) return forward(ex, ctx, read.body);
  const body = parsed as MessageRequestBody;
  if (vertex !== undefined)
    return streamThroughEngine(ex, ctx, body, read.body, false, withoutModel);
  ex.log.model = body.model;
  if (body.stream === true) return streamThroughEngine(ex, ctx, body, read.body, false);
  if (ctx.settings.upgradeNonstreaming) {
    return streamThroughEngine(ex, ctx, { ...body, stream: true }, undefined, true);
  }
  return forward(ex, ctx, read.body);
}

function openTrace(
  ex: Exchange,
  ctx: ProxyContext,
  body: MessageRequestBody,
  upgraded: boolean,
): JsonlTraceWriter | undefined {
  const dir = ctx.settings.traceDir;
  if (dir === undefined) return undefined;
  try {
    const writer = JsonlTraceWriter.create(
      dir,
      {
        id: ex.id,
        method: ex.method,
        path: ex.path + ex.search,
        model: body.model,
        stream: !upgraded,
        betas: betasOf(ex.req.headers['anthropic-beta']),
        upstream: ctx.upstream.origin,
        headers: ex.req.headers,
      },
      { content: ctx.settings.traceContent },
    );
    ex.log.trace = writer.path;
    return writer;
  } catch (err) {
    ctx.logger.warn(
      { id: ex.id, err: err instanceof Error ? err.message : String(err) },
      `lifeline: cannot write a trace in ${dir}; the request continues without one`,
    );
    return undefined;
  }
}

export function engineOptions(
  ctx: ProxyContext,
  trace: JsonlTraceWriter | undefined,
  onReport: (report: RecoveryReport) => void,
  signal: AbortSignal,
): EngineOptions {
  const s = ctx.settings;
  return {
    stall: s.stall,
    stallTimeoutMs: s.stallTimeoutMs,
    stallFloorMs: s.stallFloorMs,
    keepAliveMs: s.keepAliveMs,
    policy: {
      maxAttempts: s.maxAttempts,
      ...(s.baseDelayMs !== undefined ? { baseDelayMs: s.baseDelayMs } : {}),
      ...(s.maxDelayMs !== undefined ? { maxDelayMs: s.maxDelayMs } : {}),
      ...(s.deadlineMs !== undefined ? { deadlineMs: s.deadlineMs } : {}),
    },
    ...(s.instruction !== undefined ? { instruction: s.instruction } : {}),
    ...(s.thinking !== undefined ? { thinking: s.thinking } : {}),
    ...(s.instructionTail !== undefined ? { instructionTail: s.instructionTail } : {}),
    // Seam excerpts are message content: kept (in the trace's report) only with trace content on.
    seamExcerpts: s.traceContent,
    signal,
    trace,
    onReport,
  };
}

/** Counting every chunk in prom-client costs more than the chunk's own handling. */
const METRIC_FLUSH_BYTES = 256 * 1024;

/**
 * `res.write`, with the chunks written in one turn of the event loop sent in one syscall:
 * the socket is corked at the first and uncorked in the same turn's check phase. Under load
 * an upstream read often holds several events, each its own chunk; unbatched, each costs a
 * writev. A chunk waits at most for the rest of its upstream read to be processed.
 *
 * The first chunk (the client's first byte) goes out at once: Node's `res.write` corks the
 * socket until the next tick, which only comes once the engine has worked through the rest
 * of the upstream read (often the whole message), so it is uncorked right away instead.
 */
function turnBatchedWriter(res: ServerResponse): (chunk: Uint8Array) => boolean {
  let first = true;
  let corked = false;
  const uncork = () => {
    corked = false;
    const socket = res.socket;
    if (socket !== null && !socket.destroyed) socket.uncork();
  };
  return (chunk) => {
    const socket = res.socket;
    if (first) {
      first = false;
      const ok = res.write(chunk);
      while (socket !== null && !socket.destroyed && socket.writableCorked > 0) socket.uncork();
      return ok;
    }
    if (!corked && socket !== null && !socket.destroyed) {
      socket.cork();
      corked = true;
      setImmediate(uncork);
    }
    return res.write(chunk);
  };
}

/** The explanation clients see when recovery failed (or the proxy gave up on the stream). */
export function failureMessage(err: unknown): string {
  if (err instanceof StreamInterruptedError) return `lifeline: ${err.explanation}`;
  if (err instanceof ShutdownError) return `lifeline: ${err.message}; retry the request.`;
  return `lifeline: the stream failed inside the proxy (${err instanceof Error ? err.message : String(err)}); retry the request.`;
}

/** A Vertex AI attempt's body: the model is in the path. */
function withoutModel(body: MessageRequestBody): string {
  const { model: _model, ...rest } = body;
  return JSON.stringify(rest);
}

async function streamThroughEngine(
  ex: Exchange,
  ctx: ProxyContext,
  body: MessageRequestBody,
  raw: Buffer | undefined,
  upgraded: boolean,
  encode: (body: MessageRequestBody) => string = JSON.stringify,
): Promise<void> {
  const { res } = ex;
  const headers = upstreamRequestHeaders(ex.req.headers, { rewrittenBody: true });
  const path = ex.path + ex.search;
  const send: Send = async ({ body: attemptBody, signal }) => {
    // The first attempt sends the client's bytes as they came; later ones are the planner's.
    const payload = attemptBody === body && raw !== undefined ? raw : encode(attemptBody);
    try {
      // Its body keeps what arrived before a cut: the engine resumes from the true cut point.
      const r = await ctx.upstream.stream({
        method: 'POST',
        path,
        headers: { ...headers, 'content-type': 'application/json' },
        body: payload,
        signal,
      });
      ctx.metrics.upstreamResponses.inc({ status: String(r.statusCode) });
      // Sliced, so that thousands of busy streams still leave the loop free to accept.
      return { status: r.statusCode, headers: toWebHeaders(r.headers), body: fairSlices(r.body) };
    } catch (err) {
      if (!signal.aborted) ctx.metrics.upstreamResponses.inc({ status: 'error' });
      throw err;
    }
  };
  const onReport = (report: RecoveryReport) => {
    ctx.metrics.observeReport(report);
    ctx.onReport?.(report);
    ex.log.recovery = {
      outcome: report.outcome,
      attempts: report.attempts.length,
      failures: report.failures,
      strategies: report.strategies,
      discardedBytes: report.discardedBytes,
      addedLatencyMs: Math.round(report.addedLatencyMs),
      extraInputTokens: report.extraInputTokens,
      extraOutputTokens: report.extraOutputTokens,
      ...(report.containerId !== undefined ? { containerId: report.containerId } : {}),
      // Seams without their excerpts: logs never carry message content.
      ...(report.seams.length > 0
        ? { seams: report.seams.map(({ excerpt: _excerpt, ...seam }) => seam) }
        : {}),
    };
    if (report.outcome !== 'clean') ex.log.summary = summarize(report);
  };
  const trace = openTrace(ex, ctx, body, upgraded);
  if (upgraded) ex.log.upgraded = true;
  ctx.metrics.streams.inc();

  // Resumable: the engine runs on when the client leaves (after it has the stream id). Only
  // the API's own route: a Vertex AI stream's takeover would need its path and body encoding.
  const producer =
    ctx.gateway !== undefined && !upgraded && encode === JSON.stringify
      ? startProducer(ex, ctx.gateway)
      : undefined;
  let result: EngineResult;
  try {
    result = await runStream(
      body,
      send,
      engineOptions(ctx, trace, onReport, producer?.signal ?? ex.signal),
    );
  } catch (err) {
    trace?.close();
    producer?.release();
    if (ex.signal.aborted) return;
    ex.log.error = err instanceof Error ? err.message : String(err);
    const message =
      err instanceof StreamInterruptedError && err.report.failures.every((k) => k === 'connect')
        ? unreachableMessage(ctx, err.cause ?? err)
        : failureMessage(err);
    sendApiError(res, 502, 'api_error', message, { 'x-lifeline-request-id': ex.id });
    return;
  }
  if (result.kind === 'passthrough') {
    trace?.close();
    producer?.release();
    return sendPassthrough(ex, ctx, result.response, body.stream === true && !upgraded);
  }
  const requestId = result.headers.get('request-id');
  if (requestId !== null) ex.log.upstreamRequestId = requestId;
  if (upgraded) return sendAssembled(ex, result);
  if (producer !== undefined && ctx.gateway !== undefined) {
    ctx.metrics.activeStreams.inc();
    try {
      await sendResumable({
        ex,
        gateway: ctx.gateway,
        producer,
        result,
        requestHeaders: ex.req.headers,
        request: requestForLog(path, headers, raw?.toString('utf8') ?? JSON.stringify(body)),
        failureMessage,
      });
    } finally {
      ctx.metrics.activeStreams.dec();
      trace?.close();
    }
    return;
  }

  const iterator = result.body[Symbol.asyncIterator]();
  ctx.metrics.activeStreams.inc();
  try {
    // Wait for the first bytes before sending headers: a failure before them is a clean 502.
    let step = await iterator.next();
    res.writeHead(result.status, {
      ...downstreamResponseHeaders(result.headers, { rewrittenBody: true }),
      'cache-control': 'no-cache',
      'x-lifeline': 'protected',
      'x-lifeline-request-id': ex.id,
    });
    const write = turnBatchedWriter(res);
    let uncounted = 0;
    while (!step.done) {
      const chunk = step.value;
      ex.bytesDown += chunk.length;
      uncounted += chunk.length;
      if (uncounted >= METRIC_FLUSH_BYTES) {
        ctx.metrics.bytesDownstream.inc(uncounted);
        uncounted = 0;
      }
      if (!write(chunk)) await drained(res);
      if (ex.signal.aborted) return;
      step = await iterator.next();
    }
    ctx.metrics.bytesDownstream.inc(uncounted);
    res.end();
  } catch (err) {
    if (ex.signal.aborted && !(ex.signal.reason instanceof ShutdownError)) return;
    const reason = ex.signal.aborted ? ex.signal.reason : err;
    ex.log.error = reason instanceof Error ? reason.message : String(reason);
    if (!res.headersSent) {
      sendApiError(res, 502, 'api_error', failureMessage(reason), {
        'x-lifeline-request-id': ex.id,
      });
      return;
    }
    // Mid-stream: end the SSE stream with an error event the client's SDK understands.
    const tail = sseErrorEvent('api_error', failureMessage(reason));
    ex.bytesDown += Buffer.byteLength(tail);
    res.end(tail);
  } finally {
    ctx.metrics.activeStreams.dec();
    await iterator.return?.(undefined).catch(() => {});
    trace?.close();
  }
}

/** The engine handed the upstream's answer back untouched (an error status, a non-SSE body). */
async function sendPassthrough(
  ex: Exchange,
  ctx: ProxyContext,
  response: Extract<EngineResult, { kind: 'passthrough' }>['response'],
  wantedStream: boolean,
): Promise<void> {
  const { res } = ex;
  const contentType = response.headers.get('content-type') ?? '(none)';
  if (wantedStream && response.status >= 200 && response.status < 300) {
    // A 2xx that is not an event stream cannot be what a streaming client expects.
    await drainBody(response.body);
    ex.log.error = `upstream answered ${response.status} with content-type ${contentType}`;
    sendApiError(
      res,
      502,
      'api_error',
      `lifeline: the upstream ${ctx.upstream.origin} answered a streaming request with status ` +
        `${response.status} and content-type ${contentType} instead of text/event-stream. ` +
        'Check that --upstream points at the Anthropic API (or a compatible server) and not at ' +
        'a web page or a proxy that buffers responses.',
      { 'x-lifeline-request-id': ex.id },
    );
    return;
  }
  const requestId = response.headers.get('request-id');
  if (requestId !== null) ex.log.upstreamRequestId = requestId;
  res.writeHead(response.status, {
    ...downstreamResponseHeaders(response.headers, { rewrittenBody: false }),
    'x-lifeline-request-id': ex.id,
  });
  try {
    for await (const chunk of iterateBody(response.body)) {
      if (!res.write(chunk)) await drained(res);
      if (ex.signal.aborted) return;
    }
    res.end();
  } catch {
    res.destroy();
  }
}

async function* iterateBody(
  body: Extract<EngineResult, { kind: 'passthrough' }>['response']['body'],
): AsyncGenerator<Uint8Array> {
  if (body === null) return;
  if (Symbol.asyncIterator in body) {
    yield* body as AsyncIterable<Uint8Array>;
    return;
  }
  const reader = (body as ReadableStream<Uint8Array>).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    yield value;
  }
}

async function drainBody(
  body: Extract<EngineResult, { kind: 'passthrough' }>['response']['body'],
): Promise<void> {
  try {
    for await (const _ of iterateBody(body)) {
      // discard
    }
  } catch {
    // nothing to keep
  }
}

/** `--upgrade-nonstreaming`: the spliced stream assembled into the message, sent as JSON. */
async function sendAssembled(
  ex: Exchange,
  result: Extract<EngineResult, { kind: 'stream' }>,
): Promise<void> {
  const { res } = ex;
  const decoder = new SseDecoder();
  const accumulator = new MessageAccumulator();
  try {
    for await (const chunk of result.body) {
      for (const event of decoder.push(chunk)) accumulator.push(parseStreamEvent(event));
    }
  } catch (err) {
    if (ex.signal.aborted) return;
    ex.log.error = err instanceof Error ? err.message : String(err);
    sendApiError(res, 502, 'api_error', failureMessage(err), { 'x-lifeline-request-id': ex.id });
    return;
  }
  const snapshot = accumulator.snapshot();
  const headers: Record<string, string | string[]> = {
    ...downstreamResponseHeaders(result.headers, { rewrittenBody: true }),
    'x-lifeline': 'protected',
    'x-lifeline-request-id': ex.id,
  };
  delete headers['cache-control'];
  if (snapshot.error !== undefined) {
    const status = STATUS_FOR_ERROR_TYPE[snapshot.error.type] ?? 500;
    sendApiError(res, status, snapshot.error.type, snapshot.error.message, {
      'x-lifeline-request-id': ex.id,
    });
    return;
  }
  if (!snapshot.stopped) {
    sendApiError(
      res,
      502,
      'api_error',
      'lifeline: the upstream stream ended without message_stop.',
      {
        'x-lifeline-request-id': ex.id,
      },
    );
    return;
  }
  const json = JSON.stringify(accumulator.toMessage());
  res.writeHead(result.status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(json),
  });
  ex.bytesDown += Buffer.byteLength(json);
  res.end(json);
}
