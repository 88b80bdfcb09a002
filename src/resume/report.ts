/**
 * The recovery report: what happened to one request, for callbacks, logs, traces and metrics.
 */
import type { FailureKind } from './failure.js';
import type { Strategy } from './planner.js';

export interface AttemptRecord {
  /** 1-based. */
  attempt: number;
  /** How this attempt was planned (`first` for the original request). */
  strategy: Strategy | 'first';
  /** HTTP status of the attempt's response, when one came. */
  status?: number | undefined;
  /** Why it failed, when it did. */
  failure?: { kind: FailureKind; message: string } | undefined;
  /** ms since the request started. */
  startedAtMs: number;
  durationMs: number;
  /** Bytes and events received from upstream in this attempt. */
  bytes: number;
  events: number;
}

export interface RecoveryReport {
  model: string;
  outcome: 'clean' | 'recovered' | 'failed' | 'passthrough';
  attempts: AttemptRecord[];
  /** Failure kinds seen, in order. */
  failures: FailureKind[];
  /** Strategies used to resume, in order. */
  strategies: Strategy[];
  /** Received but never sent downstream (held back, then lost with the attempt). */
  discardedBytes: number;
  discardedBlocks: number;
  /** Time spent between failures and the next attempt's first event, summed. */
  addedLatencyMs: number;
  /** Input tokens billed for attempts after the first. */
  extraInputTokens: number;
  /** Output tokens reported by failed attempts (a lower bound: a dropped attempt's final count is never sent). */
  extraOutputTokens: number;
  /** The code-execution container kept across attempts. */
  containerId?: string | undefined;
  totalMs: number;
}

export function summarize(report: RecoveryReport): string {
  if (report.outcome === 'clean') return `lifeline: ${report.model}: completed without failure`;
  const kinds = report.failures.join(', ') || 'none';
  const strategies = report.strategies.join(' -> ') || 'none';
  return (
    `lifeline: ${report.model}: ${report.outcome} after ${report.attempts.length} attempt(s); ` +
    `failures: ${kinds}; strategy: ${strategies}; discarded ${report.discardedBytes} B in ` +
    `${report.discardedBlocks} block(s); added ${Math.round(report.addedLatencyMs)} ms; ` +
    `extra tokens in/out ${report.extraInputTokens}/${report.extraOutputTokens}` +
    (report.containerId ? `; container ${report.containerId} kept` : '')
  );
}
