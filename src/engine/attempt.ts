/**
 * One upstream attempt of a request: its request and abort controller, its response, and the
 * reading of its body into the splicer (`stream()`), watched by the request's stall detector.
 *
 * An attempt is aborted, and so releases its connection, however it ends: stall, the caller's
 * abort, or the engine being done with it (`close()`).
 */
import {
  type AttemptRecord,
  classifyBodyError,
  classifyConnectError,
  type Failure,
  type MessageRequestBody,
  type PushResult,
} from '../resume/index.js';
import { encodeComment, type SseError, type SseFrame, SseFramer } from '../sse/index.js';
import { concat, isEventStream, iterable } from './body.js';
import { parseEventData, simpleDataText } from './event-data.js';
import { type StreamRequest, safely } from './request.js';
import { StallError } from './stall.js';
import type { UpstreamResponse } from './types.js';

/**
 * The reason an attempt's controller is aborted with once the engine is done with it. One
 * shared object: `abort()` without a reason builds a DOMException with a stack trace per
 * attempt, a measurable cost per request in a proxy.
 */
const ATTEMPT_OVER = new Error('the engine is done with this attempt');

const encoder = new TextEncoder();
const EVENT_TYPE_IN_DATA = /"type"\s*:\s*"([a-z_]+)"/;

/** An SSE comment for the client while lifeline recovers (keeps its read timer from firing). */
export function keepAliveComment(why: string): Uint8Array {
  return encoder.encode(encodeComment(`lifeline resuming: ${why}`));
}

export class Attempt {
  readonly record: AttemptRecord;
  readonly controller = new AbortController();
  /** The upstream's response, once its headers arrived. */
  response: UpstreamResponse | undefined;
  /** Why the request failed before a response came. */
  failure: Failure | undefined;
  private readonly request: StreamRequest;

  /** Sends `body` as the request's next attempt; resolves with a response or a failure. */
  static async open(
    request: StreamRequest,
    body: MessageRequestBody,
    strategy: AttemptRecord['strategy'],
  ): Promise<Attempt> {
    const attempt = new Attempt(request, strategy);
    await attempt.connect(body);
    return attempt;
  }

  private constructor(request: StreamRequest, strategy: AttemptRecord['strategy']) {
    this.request = request;
    this.record = {
      attempt: request.report.attempts.length + 1,
      strategy,
      startedAtMs: request.elapsed(),
      durationMs: 0,
      bytes: 0,
      events: 0,
    };
    request.report.attempts.push(this.record);
    const userSignal = request.userSignal;
    if (userSignal !== undefined) {
      const onUserAbort = () => this.controller.abort(userSignal.reason);
      userSignal.addEventListener('abort', onUserAbort, { once: true });
      // The controller is aborted when the attempt ends, however it ends: that is when the
      // caller's signal stops needing to reach it (no listener piles up across attempts).
      this.controller.signal.addEventListener(
        'abort',
        () => userSignal.removeEventListener('abort', onUserAbort),
        { once: true },
      );
    }
  }

  /** Whether the upstream answered with a stream this engine can protect. */
  get isStream(): boolean {
    const response = this.response;
    return (
      response !== undefined &&
      response.status >= 200 &&
      response.status < 300 &&
      isEventStream(response.headers)
    );
  }

  /** Releases the attempt's connection (idempotent: a second abort changes nothing). */
  close(): void {
    if (this.request.stall.watching(this)) this.request.stall.endAttempt();
    this.controller.abort(ATTEMPT_OVER);
  }

  /** Records why this attempt failed (its record, the trace). */
  fail(failure: Failure): void {
    this.record.failure = { kind: failure.kind, message: failure.message };
    this.request.noteFailure(this.record.attempt, failure);
  }

  private async connect(body: MessageRequestBody): Promise<void> {
    const { request, record, controller } = this;
    // Connect and headers count against the stall detector too.
    request.stall.startAttempt(this, (stall) => controller.abort(stall));
    try {
      const response = await request.send({
        body,
        attempt: record.attempt,
        signal: controller.signal,
      });
      // Until the body is read, silence is not the upstream's: the caller has not asked yet.
      request.stall.headersReceived();
      this.response = response;
      record.status = response.status;
      const trace = request.trace;
      // Stryker disable next-line ConditionalExpression: speed only, no closure per call without a sink; safely() swallows the TypeError of an absent one
      if (trace !== undefined) {
        safely(() =>
          trace.attempt({
            attempt: record.attempt,
            strategy: record.strategy,
            t: request.elapsed(),
            status: response.status,
          }),
        );
      }
    } catch (err) {
      const reason = controller.signal.reason;
      this.close();
      if (request.userSignal?.aborted) throw request.userSignal.reason;
      const failure: Failure =
        reason instanceof StallError
          ? { kind: 'stall', message: reason.message, cause: err }
          : classifyConnectError(err);
      record.durationMs = request.elapsed() - record.startedAtMs;
      const trace = request.trace;
      // Stryker disable next-line ConditionalExpression: speed only, no closure per call without a sink; safely() swallows the TypeError of an absent one
      if (trace !== undefined) {
        safely(() =>
          trace.attempt({
            attempt: record.attempt,
            strategy: record.strategy,
            t: request.elapsed(),
          }),
        );
      }
      this.failure = failure;
      this.fail(failure);
    }
  }

  /**
   * Reads the body into the splicer and yields the bytes for the client; returns the failure
   * that ended it, or undefined when the message is complete. `failedAt` is when the previous
   * attempt failed (for the report's added latency).
   */
  async *stream(failedAt: number | undefined): AsyncGenerator<Uint8Array, Failure | undefined> {
    const { request, record, controller } = this;
    const { splicer, stall, trace, report, keepAliveMs, t0 } = request;
    const response = this.response as UpstreamResponse;
    const framer = new SseFramer({ maxEventSize: request.maxEventSize });
    const out: Uint8Array[] = [];
    let firstEvent = true;
    // An attempt's first output goes at once, not after the rest of its chunk (which can hold
    // the whole message): it is the client's first byte.
    let firstOutput = true;
    const attemptStart = performance.now();
    stall.readingBody();
    try {
      for await (const chunk of iterable(response.body)) {
        stall.chunk();
        record.bytes += chunk.length;
        let frames: readonly SseFrame[];
        // An event over the size limit ends the attempt, after the frames completed before it
        // in the same chunk (the error carries them): what was whole is not thrown away.
        let tooLarge: Failure | undefined;
        try {
          frames = framer.push(chunk);
        } catch (err) {
          // The framer's only error: an event over maxEventSize (an SseError).
          const error = err as SseError<SseFrame>;
          frames = error.completed;
          tooLarge = { kind: 'protocol', message: error.message, cause: err };
        }
        for (const frame of frames) {
          if (frame.isComment) continue;
          const dataText = simpleDataText(frame.raw) ?? frame.dataText();
          let data: Record<string, unknown>;
          try {
            data = parseEventData(dataText);
          } catch {
            // What the splicer took for delivered goes out first: the next attempt is planned
            // from it, and a client without it would miss that text for good.
            if (out.length > 0) yield concat(out.splice(0));
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
          stall.event(type, data);
          // Stryker disable next-line ConditionalExpression: speed only (the fault-free path), no closure per event without a sink; safely() swallows the TypeError of an absent one
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
            // The splicer throws only before message_start (a block before it), when every
            // output has gone at once: nothing is pending here.
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
          // 'retryable-error': the splicer found a retryable `error.type` string.
          const error = data.error as { type: string; message?: string };
          return {
            kind: 'error-event',
            errorType: error.type,
            message: `upstream sent an SSE error event: ${error.type}${error.message ? ` (${error.message})` : ''}`,
          };
        }
        if (out.length > 0) {
          request.lastOutputAt = performance.now();
          yield concat(out.splice(0));
        } else if (keepAliveMs > 0 && splicer.seamPending) {
          // A continuation restating a long text is held until the seam decides: the upstream
          // is busy, the client hears nothing. Keep its read timeout from firing.
          const now = performance.now();
          if (now - request.lastOutputAt >= keepAliveMs) {
            request.lastOutputAt = now;
            yield keepAliveComment('seam');
          }
        }
        if (tooLarge !== undefined) return tooLarge;
        stall.awaitingUpstream();
      }
      return { kind: 'eof', message: 'the upstream body ended without message_stop' };
    } catch (err) {
      if (request.userSignal?.aborted) throw request.userSignal.reason;
      const reason = controller.signal.reason;
      if (reason instanceof StallError) {
        return { kind: 'stall', message: reason.message, cause: err };
      }
      return classifyBodyError(err);
    } finally {
      record.durationMs = performance.now() - attemptStart;
      // The event the attempt died in: only the framer holds its bytes (trace `cut` records).
      if (trace?.cut !== undefined && framer.bufferedBytes > 0) {
        const t = performance.now() - t0;
        safely(() => trace.cut?.({ attempt: record.attempt, t, bytes: framer.end().rest }));
      }
      this.close();
    }
  }
}
