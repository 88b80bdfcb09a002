/**
 * The engine: one request's attempts. Transport-agnostic: it takes the request body and a
 * `send` function (fetch, undici, anything) and returns the spliced stream and its report.
 *
 * The SDK middleware, the fetch wrapper and the proxy are thin adapters around `runStream`.
 * A request (`StreamRequest`, request.ts) holds what its attempts share; an `Attempt`
 * (attempt.ts) reads one upstream body, watched by the stall detector (stall.ts). This file is
 * the loop between them: get a stream, relay it, and when an attempt fails, plan and open the
 * next one. Memory is bounded by the message being built (the splicer's held block and the
 * downstream accumulator), not by the number of attempts: an attempt's state is dropped when
 * it ends.
 */
import {
  backoffDelay,
  type ContinuationPlan,
  type DiscardedContent,
  type Failure,
  isPrefillRefusal,
  isRetryableStatus,
  type MessageRequestBody,
  planContinuation,
  type RecoveryReport,
  StreamInterruptedError,
  sleep,
} from '../resume/index.js';
import { Attempt, keepAliveComment } from './attempt.js';
import { concat } from './body.js';
import { StreamRequest, statusFailure } from './request.js';
import type { EngineOptions, EngineResult, Send } from './types.js';

export type { StallInfo, StallMode, StreamActivity } from './stall.js';
export { StallError } from './stall.js';
export type {
  EngineOptions,
  EngineResult,
  Send,
  SendRequest,
  TraceSink,
  UpstreamResponse,
} from './types.js';

/** Aborts a keep-alive tick's sleep once its race is over. */
const TICK_OVER = new Error('the keep-alive tick is over');
/** Aborts a reconnect's backoff when the client stopped reading while it waited. */
const CLIENT_GONE = new Error('the client stopped reading while lifeline reconnected');

/**
 * Runs one streaming request through the resume engine.
 */
export async function runStream(
  original: MessageRequestBody,
  send: Send,
  options: EngineOptions = {},
): Promise<EngineResult> {
  const request = new StreamRequest(original, send, options);
  const first = await openFirst(request);
  if (!(first instanceof Attempt)) return first;
  const response = first.response as NonNullable<Attempt['response']>;
  let settle!: Settle;
  const report = new Promise<RecoveryReport>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // The report promise is optional to await; do not let a failure become an unhandled rejection.
  report.catch(() => {});
  return {
    kind: 'stream',
    status: response.status,
    headers: response.headers,
    body: closesUnread(relay(request, first, settle), first),
    report,
  };
}

/**
 * The relay, closing the first attempt when the caller gives the body up before reading it: a
 * generator that never started runs no `finally`, so the attempt's connection, and the
 * generation the upstream goes on billing, would stay open.
 */
function closesUnread(
  body: AsyncGenerator<Uint8Array>,
  first: Attempt,
): AsyncIterableIterator<Uint8Array> {
  let started = false;
  const iterator: AsyncIterableIterator<Uint8Array> = {
    next() {
      started = true;
      return body.next();
    },
    return(value?: unknown) {
      if (!started) first.close();
      return body.return(value);
    },
    throw(error?: unknown) {
      if (!started) first.close();
      return body.throw(error);
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

interface Settle {
  resolve(report: RecoveryReport): void;
  reject(error: unknown): void;
}

/**
 * Phase 1: gets a streaming response, retrying retryable statuses and connect errors. A
 * response that is not ours to protect is handed back as a passthrough result.
 */
async function openFirst(request: StreamRequest): Promise<Attempt | EngineResult> {
  const { report, policy } = request;
  for (;;) {
    const attempt = await Attempt.open(
      request,
      request.original,
      report.attempts.length === 0 ? 'first' : 'restart',
    );
    if (report.attempts.length > 1) report.strategies.push('restart');
    let failure = attempt.failure;
    const response = attempt.response;
    if (response !== undefined) {
      if (attempt.isStream) return attempt;
      const retryable = isRetryableStatus(response.status);
      if (!retryable || !request.budgetLeft()) {
        // Not ours to fix (or budget spent): hand the response over unchanged.
        request.stall.endAttempt();
        if (retryable) report.failures.push('http-status');
        return {
          kind: 'passthrough',
          response,
          report: request.finishReport(retryable ? 'failed' : 'passthrough'),
        };
      }
      failure = await statusFailure(response);
      attempt.close();
      attempt.fail(failure);
    }
    if (failure === undefined) throw new Error('unreachable: attempt without response or failure');
    report.failures.push(failure.kind);
    if (!request.budgetLeft()) {
      request.finishReport('failed');
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
      request.userSignal,
    );
  }
}

/** Phase 2: relays attempts to the client, resuming after each failure until the message ends. */
async function* relay(
  request: StreamRequest,
  first: Attempt,
  settle: Settle,
): AsyncGenerator<Uint8Array> {
  const { report } = request;
  let current = first;
  let failedAt: number | undefined;
  try {
    for (;;) {
      const failure = yield* current.stream(failedAt);
      if (failure === undefined) {
        settle.resolve(request.finishReport(report.failures.length === 0 ? 'clean' : 'recovered'));
        return;
      }
      failedAt = performance.now();
      const next = yield* resume(request, current, failure);
      if (next === undefined) {
        settle.resolve(request.finishReport('recovered'));
        return;
      }
      current = next;
    }
  } catch (err) {
    settle.reject(err);
    throw err;
  }
  // No `finally` closing `current`: an attempt's `stream()` closes it however it ends (a client
  // that stops reading returns the generator it is suspended in), and resume() closes every
  // attempt it opens and does not hand over.
}

/**
 * After `failed` failed mid-stream: yields what the client gets meanwhile (the failed
 * attempt's flushed output, keep-alive comments, or the message's end) and returns the next
 * streaming attempt, or undefined when the message was completed without one. Throws
 * `StreamInterruptedError` when the request cannot be resumed.
 */
async function* resume(
  request: StreamRequest,
  failed: Attempt,
  failure: Failure,
): AsyncGenerator<Uint8Array, Attempt | undefined> {
  const { report, splicer, keepAliveMs } = request;
  failed.fail(failure);
  report.failures.push(failure.kind);
  const out: Uint8Array[] = [];
  const discarded = splicer.failAttempt(out);
  failed.record.deliveredChars = splicer.deliveredChars();
  report.discardedBytes += discarded.bytes;
  report.discardedBlocks += discarded.blocks;
  if (keepAliveMs > 0 && splicer.started) out.push(keepAliveComment(failure.kind));
  if (out.length > 0) yield concat(out);

  // Plan and open the next attempt; loop here on failures before a stream starts.
  let lastFailure = failure;
  for (;;) {
    const plan = planNext(request);
    if (plan.strategy === 'complete' || plan.strategy === 'end-at-tool') {
      report.strategies.push(plan.strategy);
      const fin: Uint8Array[] = [];
      splicer.finish(
        fin,
        undefined,
        plan.strategy === 'end-at-tool' ? { stopReason: 'tool_use' } : undefined,
      );
      yield concat(fin);
      return undefined;
    }
    if (plan.strategy === 'fail' || plan.body === undefined) {
      throw interrupted(
        request,
        `${plan.reason}; last failure: ${lastFailure.message}`,
        discarded,
        lastFailure,
      );
    }
    const delay = backoffDelay(request.policy, report.attempts.length + 1, {
      retryAfterMs: lastFailure.retryAfterMs,
      midStream: true,
    });
    const attempt = yield* openWithKeepAlive(request, plan.body, plan.strategy, delay);
    report.strategies.push(plan.strategy);
    if (attempt.isStream) {
      splicer.beginAttempt(plan.strategy, plan.skip);
      return attempt;
    }
    let attemptFailure = attempt.failure;
    const response = attempt.response;
    if (response !== undefined) {
      attemptFailure = await statusFailure(response);
      attempt.close();
      attempt.fail(attemptFailure);
      if (!isRetryableStatus(response.status)) {
        // Our continuation was refused. One refusal we can learn from: prefill not supported.
        const text = attemptFailure.message;
        if (plan.strategy === 'prefill' && isPrefillRefusal(text)) {
          request.models.markPrefillRefused(request.original.model);
          report.attempts.pop(); // the refusal is a correction, not a spent attempt
          continue;
        }
        throw interrupted(
          request,
          `the upstream refused the continuation request (${text})`,
          discarded,
        );
      }
    }
    if (attemptFailure === undefined)
      throw new Error('unreachable: attempt without response or failure');
    report.failures.push(attemptFailure.kind);
    lastFailure = attemptFailure;
  }
}

/** The next attempt's plan, from what the client has and the budget left. */
function planNext(request: StreamRequest): ContinuationPlan {
  const { splicer, options } = request;
  const budgetLeft = request.budgetLeft();
  const plan: ContinuationPlan =
    splicer.unrecoverable !== undefined
      ? { strategy: 'fail', skip: [], reason: splicer.unrecoverable }
      : !splicer.started
        ? {
            strategy: 'restart',
            body: request.original,
            skip: [],
            reason: 'nothing was emitted yet',
          }
        : planContinuation({
            original: request.original,
            view: splicer.view(),
            models: request.models,
            budgetLeft,
            ...(options.instruction !== undefined ? { instruction: options.instruction } : {}),
            ...(options.instructionTail !== undefined
              ? { instructionTail: options.instructionTail }
              : {}),
          });
  if (plan.strategy === 'restart' && !budgetLeft) {
    plan.strategy = 'fail';
    plan.reason = 'attempt budget spent';
  }
  return plan;
}

/**
 * Waits `delay`, then opens an attempt, yielding keep-alive comments every `keepAliveMs`
 * meanwhile so client read timeouts do not fire. A client that stops reading meanwhile (the
 * generator is returned) gets no further request sent for it, and the attempt already being
 * opened is closed once it answers.
 */
async function* openWithKeepAlive(
  request: StreamRequest,
  body: MessageRequestBody,
  strategy: ContinuationPlan['strategy'],
  delay: number,
): AsyncGenerator<Uint8Array, Attempt> {
  const gone = new AbortController();
  const signal =
    request.userSignal === undefined
      ? gone.signal
      : AbortSignal.any([request.userSignal, gone.signal]);
  const opening = (async () => {
    await sleep(delay, signal);
    return Attempt.open(request, body, strategy as Attempt['record']['strategy']);
  })();
  let settled = false;
  opening.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  let handedOver = false;
  try {
    while (!settled && request.keepAliveMs > 0) {
      // The tick's timer is cleared once the race is over: a pending 5 s timer per resume kept
      // a finished CLI process (`lifeline demo`) alive for 5 s.
      const tick = new AbortController();
      await Promise.race([
        opening.catch(() => undefined),
        sleep(request.keepAliveMs, tick.signal).catch(() => undefined),
      ]);
      tick.abort(TICK_OVER);
      if (!settled) yield keepAliveComment('waiting for upstream');
    }
    const attempt = await opening;
    handedOver = true;
    return attempt;
  } finally {
    if (!handedOver) {
      gone.abort(CLIENT_GONE);
      opening.then(
        (attempt) => attempt.close(),
        () => {},
      );
    }
  }
}

/** Closes the report as failed and builds the error the client gets, with the partial message. */
function interrupted(
  request: StreamRequest,
  reason: string,
  discarded: DiscardedContent,
  cause?: Failure,
): StreamInterruptedError {
  request.finishReport('failed');
  return new StreamInterruptedError({
    reason,
    partial: request.splicer.partialMessage(),
    pending: discarded.openBlock,
    report: request.report,
    cause: cause?.cause,
  });
}
