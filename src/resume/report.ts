/**
 * The recovery report: what happened to one request, for callbacks, logs, traces and metrics.
 */
import type { FailureKind } from './failure.js';
import type { Strategy } from './planner.js';

/** The rule that decided a seam (see src/resume/seam/ and the README's "How the seam works"). */
export type SeamRule =
  /** Nothing restated: the continuation was appended as written. */
  | 'append'
  /** A restatement of two or more whole words, from a word boundary. */
  | 'words'
  /** The last word (or the word cut mid-way) restated or restarted. */
  | 'word'
  /** A word restarted from inside a token (after a backtick, a dot, a bracket). */
  | 'fragment'
  /** Lines restated from a line start (list items, headings, table rows, code). */
  | 'line'
  /** Scripts without spaces (Chinese, Japanese, Thai): characters restated. */
  | 'chars'
  /** The whole partial text restated. */
  | 'all';

/** Something removed from a continuation before the restatement rule ran. */
export type SeamRemoval = 'preamble' | 'fence';

/** One join of a continuation turn's text to the text already delivered. */
export interface SeamRecord {
  /** The attempt whose text was joined (2 for the first resume). */
  attempt: number;
  /** Downstream content block index the text was joined into. */
  blockIndex: number;
  /** Characters of that block's text delivered before the seam: the joined text starts here. */
  offset: number;
  /** Characters removed from the start of the continuation (preamble, fence, restatement). */
  trimmed: number;
  rule: SeamRule;
  removed: SeamRemoval[];
  /** Whitespace at the seam: the held whitespace put back, the continuation's own, or none. */
  whitespace: 'held' | 'continuation' | 'none';
  /**
   * How sure the rule is: `high` (a coincidence is implausible), `medium` (a short restatement,
   * e.g. one word of 3+ letters), `low` (one or two characters, a join after a preamble).
   */
  confidence: 'high' | 'medium' | 'low';
  /** Only when content capture is on (trace content): the text around the seam. */
  excerpt?: { before: string; removed: string; after: string } | undefined;
}

/** One attempt of a request, in `RecoveryReport.attempts`. */
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
  /**
   * When this attempt failed: characters of content (text, thinking, tool input JSON) the
   * client already had, which a resume keeps and a full regeneration would write again.
   */
  deliveredChars?: number | undefined;
}

/**
 * What happened to one request: every attempt, the failures, how each was recovered.
 *
 * Passed to `onReport`, carried by `StreamInterruptedError`, and summarised in one line by
 * `summarize`.
 */
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
  /** Every join of a continuation turn's text to delivered text, in order. */
  seams: SeamRecord[];
  /** The code-execution container kept across attempts. */
  containerId?: string | undefined;
  totalMs: number;
}

/**
 * The report in one line, as the integrations log it: the model, the outcome, the failures and
 * the strategies used. Contains no message content.
 */
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
