/**
 * The error a caller gets when a stream cannot be recovered. It carries everything received:
 * the message as it was delivered, the block that was open when the last attempt died (as far
 * as it came), every attempt, and an explanation for people.
 */

import { LifelineError } from '../errors.js';
import type { BetaMessage } from '../protocol/index.js';
import type { FailureKind } from './failure.js';
import type { RecoveryReport } from './report.js';
import type { DiscardedContent } from './splicer.js';

export class StreamInterruptedError extends LifelineError {
  readonly type = 'stream-interrupted' as const;
  /** The message as delivered downstream, complete blocks only (may be undefined if nothing arrived). */
  readonly partial: BetaMessage | undefined;
  /** The block that was being received when the last attempt failed (held back, not delivered). */
  readonly pending: DiscardedContent['openBlock'];
  readonly report: RecoveryReport;
  readonly lastFailure: FailureKind | undefined;
  /** One paragraph for people: what happened, why it could not be recovered, what to do. */
  readonly explanation: string;

  constructor(init: {
    reason: string;
    partial: BetaMessage | undefined;
    pending: DiscardedContent['openBlock'];
    report: RecoveryReport;
    cause?: unknown;
  }) {
    const { report } = init;
    const lastFailure = report.failures[report.failures.length - 1];
    const blocks = init.partial?.content.length ?? 0;
    const explanation =
      `The response stream from the Anthropic API for ${report.model} was interrupted ` +
      `(${report.failures.join(', ') || 'unknown failure'}) and lifeline could not complete it: ` +
      `${init.reason}. ${report.attempts.length} attempt(s) were made over ` +
      `${Math.round(report.totalMs)} ms. Nothing received is lost: this error's \`partial\` holds the ` +
      `${blocks} content block(s) delivered so far` +
      (init.pending
        ? ` and \`pending\` the ${init.pending.receivedBytes} byte(s) of the ${init.pending.type} block that was being received`
        : '') +
      '. Retry the request later, raise the attempt budget (maxAttempts, deadlineMs), or run ' +
      '`lifeline explain` / `lifeline analyze` on the trace to see where the connection dies.';
    super(`stream interrupted: ${init.reason} (${report.attempts.length} attempt(s))`, {
      cause: init.cause,
    });
    this.name = 'StreamInterruptedError';
    this.partial = init.partial;
    this.pending = init.pending;
    this.report = report;
    this.lastFailure = lastFailure;
    this.explanation = explanation;
  }
}
