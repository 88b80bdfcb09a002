/**
 * One request's state, shared by its attempts: the settings, the splicer building the client's
 * message, the recovery report, the stall detector and the trace. `runStream`
 * (engine.ts) drives the request; each `Attempt` (attempt.ts) reads and writes this state.
 */
import {
  DEFAULT_RETRY_POLICY,
  defaultModelTable,
  type Failure,
  type MessageRequestBody,
  type ModelTable,
  type RecoveryReport,
  type RetryPolicy,
  retryAfterMs,
  Splicer,
} from '../resume/index.js';
import { readText } from './body.js';
import { parseUpstreamError } from './error-body.js';
import { StallDetector, stallSettings } from './stall.js';
import type { EngineOptions, Send, TraceSink, UpstreamResponse } from './types.js';

/** Observers must never break the stream they observe. */
export function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // a failing trace sink loses its record, not the user's stream
  }
}

export class StreamRequest {
  readonly original: MessageRequestBody;
  readonly send: Send;
  readonly options: EngineOptions;
  readonly policy: RetryPolicy;
  readonly keepAliveMs: number;
  readonly maxEventSize: number;
  readonly models: ModelTable;
  readonly userSignal: AbortSignal | undefined;
  readonly trace: TraceSink | undefined;
  readonly t0 = performance.now();
  readonly splicer: Splicer;
  readonly stall: StallDetector;
  readonly report: RecoveryReport;
  /** When the client last got bytes (keep-alive comments while a seam holds text back). */
  lastOutputAt: number;

  constructor(original: MessageRequestBody, send: Send, options: EngineOptions) {
    this.original = original;
    this.send = send;
    this.options = options;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.policy };
    this.keepAliveMs = options.keepAliveMs ?? 5_000;
    this.maxEventSize = options.maxEventSize ?? 64 * 1024 * 1024;
    this.models = options.models ?? defaultModelTable;
    this.userSignal = options.signal;
    this.trace = options.trace;
    this.stall = new StallDetector(stallSettings(options));
    this.splicer = new Splicer(options);
    this.lastOutputAt = this.t0;
    this.report = {
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
  }

  /** Milliseconds since the request started (the trace's and the report's clock). */
  elapsed(): number {
    return performance.now() - this.t0;
  }

  deadlinePassed(): boolean {
    return this.elapsed() > this.policy.deadlineMs;
  }

  /** Whether another attempt may be made. */
  budgetLeft(): boolean {
    return this.report.attempts.length < this.policy.maxAttempts && !this.deadlinePassed();
  }

  /** Tells the trace about a failure. */
  noteFailure(attempt: number, failure: Failure): void {
    const trace = this.trace;
    // Stryker disable next-line ConditionalExpression: speed only; safely() swallows the TypeError of an absent sink
    if (trace === undefined) return;
    safely(() =>
      trace.failure({ attempt, t: this.elapsed(), kind: failure.kind, message: failure.message }),
    );
  }

  /**
   * Closes the report and tells the trace and `onReport`. Called once per request, where the
   * request ends: a passthrough, the stream's end, or the error that ends it.
   */
  finishReport(outcome: RecoveryReport['outcome']): RecoveryReport {
    const report = this.report;
    report.outcome = outcome;
    report.totalMs = this.elapsed();
    report.containerId = this.splicer.containerId;
    report.seams = this.splicer.seams;
    // Stryker disable next-line OptionalChaining: safely() swallows the TypeError of an absent sink
    safely(() => this.trace?.end(report));
    this.options.onReport?.(report);
    return report;
  }
}

/** The failure a non-2xx (or non-SSE) response stands for, from its error body. */
export async function statusFailure(response: UpstreamResponse): Promise<Failure> {
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
}
