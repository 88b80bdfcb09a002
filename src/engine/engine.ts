/**
 * The engine: one request's attempts. Transport-agnostic: it takes the request body and a
 * `send` function (fetch, undici, anything) and returns the spliced stream and its report.
 *
 * The SDK middleware, the fetch wrapper and the proxy are thin adapters around `runStream`.
 * Memory is bounded by the message being built (the splicer's held block and the downstream
 * accumulator), not by the number of attempts: an attempt's state is dropped when it ends.
 */

import { LifelineError } from '../errors.js';
import {
  type AttemptRecord,
  backoffDelay,
  type ContinuationPlan,
  classifyBodyError,
  classifyConnectError,
  DEFAULT_RETRY_POLICY,
  type DiscardedContent,
  defaultModelTable,
  type Failure,
  isPrefillRefusal,
  isRetryableStatus,
  type MessageRequestBody,
  type PushResult,
  planContinuation,
  type RecoveryReport,
  type RetryPolicy,
  retryAfterMs,
  Splicer,
  StreamInterruptedError,
  sleep,
} from '../resume/index.js';
import { encodeComment, type SseFrame, SseFramer } from '../sse/index.js';
import { concat, isEventStream, iterable, readText } from './body.js';
import { parseUpstreamError } from './error-body.js';
import { parseEventData, simpleDataText } from './event-data.js';
import type { EngineOptions, EngineResult, Send, UpstreamResponse } from './types.js';

export type {
  EngineOptions,
  EngineResult,
  Send,
  SendRequest,
  TraceSink,
  UpstreamResponse,
} from './types.js';

/**
 * The reason an attempt's controller is aborted with once the engine is done with it. One
 * shared object: `abort()` without a reason builds a DOMException with a stack trace per
 * attempt, a measurable cost per request in a proxy.
 */
const ATTEMPT_OVER = new Error('the engine is done with this attempt');

const encoder = new TextEncoder();

class StallError extends LifelineError {
  readonly type = 'stall' as const;
  constructor(ms: number) {
    super(`no data from upstream for ${ms} ms`);
    this.name = 'StallError';
  }
}

/** Observers must never break the stream they observe. */
function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // a failing trace sink loses its record, not the user's stream
  }
}

const EVENT_TYPE_IN_DATA = /"type"\s*:\s*"([a-z_]+)"/;

/**
 * Runs one streaming request through the resume engine.
 */
export async function runStream(
  original: MessageRequestBody,
  send: Send,
  options: EngineOptions = {},
): Promise<EngineResult> {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.policy };
  const stallMs = options.stallTimeoutMs ?? 90_000;
  const keepAliveMs = options.keepAliveMs ?? 5_000;
  const models = options.models ?? defaultModelTable;
  const userSignal = options.signal;
  const t0 = performance.now();
  const splicer = new Splicer(options);
  /** When the client last got bytes (keep-alive comments while a seam holds text back). */
  let lastOutputAt = t0;

  const report: RecoveryReport = {
    model: original.model,
    outcome: 'clean',
    attempts: [],
    failures: [],
    strategies: [],
    discardedBytes: 0,
    discardedBlocks: 0,
    seams: [],
    addedLatencyMs: 0,
    extraInputTokens: 0,
    extraOutputTokens: 0,
    totalMs: 0,
  };
  let reported = false;
  const finishReport = (outcome: RecoveryReport['outcome']): RecoveryReport => {
    report.outcome = outcome;
    report.totalMs = performance.now() - t0;
    report.containerId = splicer.containerId;
    report.seams = splicer.seams;
    if (!reported) {
      reported = true;
      safely(() => options.trace?.end(report));
      options.onReport?.(report);
    }
    return report;
  };
  const trace = options.trace;
  const noteFailure = (attempt: number, failure: Failure) =>
    safely(() =>
      trace?.failure({
        attempt,
        t: performance.now() - t0,
        kind: failure.kind,
        message: failure.message,
      }),
    );
  const deadlinePassed = () => performance.now() - t0 > policy.deadlineMs;

  /** One attempt's plumbing: its abort controller (stall, user abort, engine done). */
  const openAttempt = async (
    body: MessageRequestBody,
    strategy: AttemptRecord['strategy'],
  ): Promise<{
    record: AttemptRecord;
    controller: AbortController;
    response?: UpstreamResponse;
    failure?: Failure;
  }> => {
    const controller = new AbortController();
    const onUserAbort = () => controller.abort(userSignal?.reason);
    userSignal?.addEventListener('abort', onUserAbort, { once: true });
    // The attempt's controller is aborted when the attempt ends, however it ends: that is when
    // the caller's signal stops needing to reach it (no listener piles up across attempts).
    controller.signal.addEventListener(
      'abort',
      () => userSignal?.removeEventListener('abort', onUserAbort),
      { once: true },
    );
    const record: AttemptRecord = {
      attempt: report.attempts.length + 1,
      strategy,
      startedAtMs: performance.now() - t0,
      durationMs: 0,
      bytes: 0,
      events: 0,
    };
    report.attempts.push(record);
    // Connect + headers count against the stall timer too.
    const timer = setTimeout(() => controller.abort(new StallError(stallMs)), stallMs);
    try {
      const response = await send({ body, attempt: record.attempt, signal: controller.signal });
      clearTimeout(timer);
      record.status = response.status;
      safely(() =>
        trace?.attempt({
          attempt: record.attempt,
          strategy,
          t: performance.now() - t0,
          status: response.status,
        }),
      );
      return { record, controller, response };
    } catch (err) {
      clearTimeout(timer);
      userSignal?.removeEventListener('abort', onUserAbort);
      if (userSignal?.aborted) throw userSignal.reason;
      const failure: Failure =
        controller.signal.reason instanceof StallError
          ? { kind: 'stall', message: `no response headers within ${stallMs} ms`, cause: err }
          : classifyConnectError(err);
      record.failure = { kind: failure.kind, message: failure.message };
      record.durationMs = performance.now() - t0 - record.startedAtMs;
      safely(() =>
        trace?.attempt({ attempt: record.attempt, strategy, t: performance.now() - t0 }),
      );
      noteFailure(record.attempt, failure);
      return { record, controller, failure };
    }
  };

  const statusFailure = async (response: UpstreamResponse): Promise<Failure> => {
    // Anthropic's error JSON, Vertex AI's (Google's) or Bedrock's: the type and message, when any.
    const { errorType, message: apiMessage } = parseUpstreamError(
      await readText(response.body),
      response.headers,
    );
    return {
      kind: 'http-status',
      status: response.status,
      ...(errorType ? { errorType } : {}),
      retryAfterMs: retryAfterMs(response.headers),
      message:
        `upstream answered ${response.status}${errorType ? ` ${errorType}` : ''}` +
        (apiMessage ? `: ${apiMessage.slice(0, 300)}` : ''),
    };
  };

  // ---- Phase 1: get a streaming response (retrying retryable statuses and connect errors).
  let first: { record: AttemptRecord; controller: AbortController; response: UpstreamResponse };
  for (;;) {
    const opened = await openAttempt(original, report.attempts.length === 0 ? 'first' : 'restart');
    if (report.attempts.length > 1) report.strategies.push('restart');
    let failure = opened.failure;
    if (opened.response !== undefined) {
      const { response } = opened;
      if (response.status >= 200 && response.status < 300 && isEventStream(response.headers)) {
        first = { record: opened.record, controller: opened.controller, response };
        break;
      }
      const retryable = isRetryableStatus(response.status);
      const lastChance = report.attempts.length >= policy.maxAttempts || deadlinePassed();
      if (!retryable || lastChance) {
        // Not ours to fix (or budget spent): hand the response over unchanged.
        if (retryable) report.failures.push('http-status');
        return {
          kind: 'passthrough',
          response,
          report: finishReport(retryable ? 'failed' : 'passthrough'),
        };
      }
      failure = await statusFailure(response);
      opened.controller.abort();
      opened.record.failure = { kind: failure.kind, message: failure.message };
      noteFailure(opened.record.attempt, failure);
    }
    if (failure === undefined) throw new Error('unreachable: attempt without response or failure');
    report.failures.push(failure.kind);
    if (report.attempts.length >= policy.maxAttempts || deadlinePassed()) {
      finishReport('failed');
      throw new StreamInterruptedError({
        reason: failure.message,
        partial: undefined,
        pending: undefined,
        report,
        cause: failure.cause,
      });
    }
    await sleep(
      backoffDelay(policy, report.attempts.length + 1, { retryAfterMs: failure.retryAfterMs }),
      userSignal,
    );
  }

  // ---- Phase 2: stream, resuming on failure.
  let resolveReport!: (r: RecoveryReport) => void;
  let rejectReport!: (e: unknown) => void;
  const reportPromise = new Promise<RecoveryReport>((res, rej) => {
    resolveReport = res;
    rejectReport = rej;
  });
  // The report promise is optional to await; do not let a failure become an unhandled rejection.
  reportPromise.catch(() => {});

  /** Reads one attempt; yields downstream bytes; returns the failure, or undefined when done. */
  async function* pump(
    response: UpstreamResponse,
    record: AttemptRecord,
    controller: AbortController,
    failedAt: number | undefined,
  ): AsyncGenerator<Uint8Array, Failure | undefined> {
    const framer = new SseFramer({ maxEventSize: options.maxEventSize ?? 64 * 1024 * 1024 });
    // One timer per attempt, re-armed only when it fires: resetting a timer on every chunk
    // costs more than the rest of a small chunk's handling.
    let lastChunkAt = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const check = () => {
      const idle = performance.now() - lastChunkAt;
      if (idle >= stallMs) controller.abort(new StallError(stallMs));
      else timer = setTimeout(check, stallMs - idle);
    };
    const out: Uint8Array[] = [];
    let firstEvent = true;
    // An attempt's first output goes at once, not after the rest of its chunk (which can hold
    // the whole message): it is the client's first byte.
    let firstOutput = true;
    const attemptStart = lastChunkAt;
    try {
      timer = setTimeout(check, stallMs);
      for await (const chunk of iterable(response.body)) {
        lastChunkAt = performance.now();
        record.bytes += chunk.length;
        let frames: SseFrame[];
        try {
          frames = framer.push(chunk);
        } catch (err) {
          return {
            kind: 'protocol',
            message: err instanceof Error ? err.message : String(err),
            cause: err,
          };
        }
        for (const frame of frames) {
          if (frame.isComment) continue;
          const dataText = simpleDataText(frame.raw) ?? frame.dataText();
          let data: Record<string, unknown>;
          try {
            data = parseEventData(dataText);
          } catch {
            return {
              kind: 'protocol',
              message: `upstream sent an event whose data is not JSON (${frame.event ?? 'message'}: ${dataText.slice(0, 80)})`,
            };
          }
          const type =
            frame.event ??
            (typeof data.type === 'string'
              ? data.type
              : (EVENT_TYPE_IN_DATA.exec(dataText)?.[1] ?? 'message'));
          record.events++;
          if (trace !== undefined) {
            safely(() =>
              trace.event({
                attempt: record.attempt,
                t: performance.now() - t0,
                type,
                bytes: frame.raw.length,
                data,
              }),
            );
          }
          if (firstEvent && failedAt !== undefined) {
            report.addedLatencyMs += performance.now() - failedAt;
          }
          firstEvent = false;
          let result: PushResult;
          try {
            result = splicer.push({ type, data, raw: frame.raw }, out);
          } catch (err) {
            return {
              kind: 'protocol',
              message: err instanceof Error ? err.message : String(err),
              cause: err,
            };
          }
          if (result === 'continue') {
            if (firstOutput && out.length > 0) {
              // Until the first content delta is out, every output goes at once: the held text
              // block start and first text would otherwise wait for the rest of the chunk.
              if (type === 'content_block_delta') firstOutput = false;
              yield concat(out.splice(0));
            }
            continue;
          }
          if (out.length > 0) yield concat(out.splice(0));
          if (result === 'done' || result === 'fatal-error') return undefined;
          if (result === 'end-at-tool') {
            report.strategies.push('end-at-tool');
            splicer.finish(out, undefined, { stopReason: 'tool_use' });
            yield concat(out.splice(0));
            return undefined;
          }
          const error = (data.error ?? {}) as { type?: string; message?: string };
          return {
            kind: 'error-event',
            errorType: error.type ?? 'unknown',
            message: `upstream sent an SSE error event: ${error.type ?? 'unknown'}${error.message ? ` (${error.message})` : ''}`,
          };
        }
        if (out.length > 0) {
          lastOutputAt = performance.now();
          yield concat(out.splice(0));
        } else if (keepAliveMs > 0 && splicer.seamPending) {
          // A continuation restating a long text is held until the seam decides: the upstream
          // is busy, the client hears nothing. Keep its read timeout from firing.
          const now = performance.now();
          if (now - lastOutputAt >= keepAliveMs) {
            lastOutputAt = now;
            yield encoder.encode(encodeComment('lifeline resuming: seam'));
          }
        }
      }
      return { kind: 'eof', message: 'the upstream body ended without message_stop' };
    } catch (err) {
      if (userSignal?.aborted) throw userSignal.reason;
      if (controller.signal.reason instanceof StallError) {
        return { kind: 'stall', message: controller.signal.reason.message, cause: err };
      }
      return classifyBodyError(err);
    } finally {
      clearTimeout(timer);
      record.durationMs = performance.now() - attemptStart;
      // The event the attempt died in: only the framer holds its bytes (trace `cut` records).
      if (trace?.cut !== undefined && framer.bufferedBytes > 0) {
        const t = performance.now() - t0;
        safely(() => trace.cut?.({ attempt: record.attempt, t, bytes: framer.end().rest }));
      }
      if (!controller.signal.aborted) controller.abort(ATTEMPT_OVER);
    }
  }

  async function* body(): AsyncGenerator<Uint8Array> {
    let current: {
      record: AttemptRecord;
      controller: AbortController;
      response: UpstreamResponse;
    } = first;
    let failedAt: number | undefined;
    let lastDiscard: DiscardedContent | undefined;
    try {
      for (;;) {
        const failure = yield* pump(current.response, current.record, current.controller, failedAt);
        if (failure === undefined) {
          resolveReport(finishReport(report.failures.length === 0 ? 'clean' : 'recovered'));
          return;
        }
        failedAt = performance.now();
        current.record.failure = { kind: failure.kind, message: failure.message };
        noteFailure(current.record.attempt, failure);
        report.failures.push(failure.kind);
        const out: Uint8Array[] = [];
        lastDiscard = splicer.failAttempt(out);
        current.record.deliveredChars = splicer.deliveredChars();
        report.discardedBytes += lastDiscard.bytes;
        report.discardedBlocks += lastDiscard.blocks;
        if (keepAliveMs > 0 && splicer.started) {
          out.push(encoder.encode(encodeComment(`lifeline resuming: ${failure.kind}`)));
        }
        if (out.length > 0) yield concat(out);

        // Plan and open the next attempt; loop here on failures before a stream starts.
        let next: typeof current | undefined;
        let lastFailure = failure;
        while (next === undefined) {
          const budgetLeft = report.attempts.length < policy.maxAttempts && !deadlinePassed();
          const plan: ContinuationPlan =
            splicer.unrecoverable !== undefined
              ? { strategy: 'fail', skip: [], reason: splicer.unrecoverable }
              : !splicer.started
                ? {
                    strategy: 'restart',
                    body: original,
                    skip: [],
                    reason: 'nothing was emitted yet',
                  }
                : planContinuation({
                    original,
                    view: splicer.view(),
                    models,
                    budgetLeft,
                    ...(options.instruction !== undefined
                      ? { instruction: options.instruction }
                      : {}),
                    ...(options.instructionTail !== undefined
                      ? { instructionTail: options.instructionTail }
                      : {}),
                  });
          if (plan.strategy === 'restart' && !budgetLeft) {
            plan.strategy = 'fail';
            plan.reason = 'attempt budget spent';
          }
          if (plan.strategy === 'complete' || plan.strategy === 'end-at-tool') {
            report.strategies.push(plan.strategy);
            const fin: Uint8Array[] = [];
            splicer.finish(
              fin,
              undefined,
              plan.strategy === 'end-at-tool' ? { stopReason: 'tool_use' } : undefined,
            );
            yield concat(fin);
            resolveReport(finishReport('recovered'));
            return;
          }
          if (plan.strategy === 'fail' || plan.body === undefined) {
            finishReport('failed');
            const partial = splicer.partialMessage();
            throw new StreamInterruptedError({
              reason: `${plan.reason}; last failure: ${lastFailure.message}`,
              partial,
              pending: lastDiscard?.openBlock,
              report,
              cause: lastFailure.cause,
            });
          }
          const delay = backoffDelay(policy, report.attempts.length + 1, {
            retryAfterMs: lastFailure.retryAfterMs,
            midStream: true,
          });
          // Wait, then send, with keep-alive comments so client read timeouts do not fire.
          const waitAndOpen = (async () => {
            await sleep(delay, userSignal);
            return openAttempt(plan.body as MessageRequestBody, plan.strategy);
          })();
          let settled = false;
          waitAndOpen.then(
            () => {
              settled = true;
            },
            () => {
              settled = true;
            },
          );
          while (!settled && keepAliveMs > 0) {
            // The tick's timer is cleared once the race is over: a pending 5 s timer per resume
            // kept a finished CLI process (`lifeline demo`) alive for 5 s.
            const tick = new AbortController();
            await Promise.race([
              waitAndOpen.catch(() => undefined),
              sleep(keepAliveMs, tick.signal).catch(() => undefined),
            ]);
            tick.abort(ATTEMPT_OVER);
            if (!settled)
              yield encoder.encode(encodeComment('lifeline resuming: waiting for upstream'));
          }
          const opened = await waitAndOpen;
          report.strategies.push(plan.strategy);
          let attemptFailure = opened.failure;
          if (opened.response !== undefined) {
            const response = opened.response;
            if (
              response.status >= 200 &&
              response.status < 300 &&
              isEventStream(response.headers)
            ) {
              splicer.beginAttempt(plan.strategy, plan.skip);
              next = { record: opened.record, controller: opened.controller, response };
              break;
            }
            attemptFailure = await statusFailure(response);
            opened.controller.abort();
            opened.record.failure = { kind: attemptFailure.kind, message: attemptFailure.message };
            noteFailure(opened.record.attempt, attemptFailure);
            if (!isRetryableStatus(response.status)) {
              // Our continuation was refused. One refusal we can learn from: prefill not supported.
              const text = attemptFailure.message;
              if (plan.strategy === 'prefill' && isPrefillRefusal(text)) {
                models.markPrefillRefused(original.model);
                report.attempts.pop(); // the refusal is a correction, not a spent attempt
                continue;
              }
              finishReport('failed');
              throw new StreamInterruptedError({
                reason: `the upstream refused the continuation request (${text})`,
                partial: splicer.partialMessage(),
                pending: lastDiscard?.openBlock,
                report,
              });
            }
          }
          if (attemptFailure === undefined)
            throw new Error('unreachable: attempt without response or failure');
          report.failures.push(attemptFailure.kind);
          lastFailure = attemptFailure;
        }
        current = next;
      }
    } catch (err) {
      rejectReport(err);
      throw err;
    } finally {
      current.controller.abort(ATTEMPT_OVER);
    }
  }

  return {
    kind: 'stream',
    status: first.response.status,
    headers: first.response.headers,
    body: body(),
    report: reportPromise,
  };
}
