/**
 * The error a caller gets when a stream cannot be recovered: what it carries (the partial
 * message, the pending block, the report, the last failure, the cause) and the explanation it
 * gives people.
 */
import { describe, expect, it } from 'vitest';
import { LifelineError } from '../../src/errors.js';
import type { BetaMessage } from '../../src/protocol/index.js';
import { type RecoveryReport, StreamInterruptedError } from '../../src/resume/index.js';

function report(over: Partial<RecoveryReport> = {}): RecoveryReport {
  return {
    model: 'claude-opus-4-6',
    outcome: 'failed',
    attempts: [
      { attempt: 1, strategy: 'first', startedAtMs: 0, durationMs: 10, bytes: 100, events: 4 },
      { attempt: 2, strategy: 'continue', startedAtMs: 20, durationMs: 5, bytes: 0, events: 0 },
    ],
    failures: ['socket', 'stall'],
    strategies: ['continue'],
    discardedBytes: 0,
    discardedBlocks: 0,
    addedLatencyMs: 0,
    extraInputTokens: 0,
    extraOutputTokens: 0,
    seams: [],
    totalMs: 1234.6,
    ...over,
  };
}

const partial = {
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-opus-4-6',
  content: [
    { type: 'text', text: 'one', citations: null },
    { type: 'text', text: 'two', citations: null },
  ],
} as unknown as BetaMessage;

describe('StreamInterruptedError', () => {
  it('carries what was received, the report and the last failure', () => {
    const cause = new Error('socket hang up');
    const pending = { type: 'tool_use', name: 'f', receivedBytes: 42, partial: '{"a":' };
    const r = report();
    const err = new StreamInterruptedError({
      reason: 'out of attempts',
      partial,
      pending,
      report: r,
      cause,
    });
    expect(err).toBeInstanceOf(LifelineError);
    expect(err.type).toBe('stream-interrupted');
    expect(err.name).toBe('StreamInterruptedError');
    expect(err.partial).toBe(partial);
    expect(err.pending).toBe(pending);
    expect(err.report).toBe(r);
    expect(err.lastFailure).toBe('stall');
    expect(err.cause).toBe(cause);
  });

  it('says the reason and the attempt count in its message', () => {
    const err = new StreamInterruptedError({
      reason: 'the deadline passed',
      partial: undefined,
      pending: undefined,
      report: report(),
    });
    expect(err.message).toBe('stream interrupted: the deadline passed (2 attempt(s))');
    expect(err.cause).toBeUndefined();
  });

  it('explains the model, failures, attempts, time, blocks kept and the pending block', () => {
    const err = new StreamInterruptedError({
      reason: 'out of attempts',
      partial,
      pending: { type: 'tool_use', name: 'f', receivedBytes: 42, partial: '{"a":' },
      report: report(),
    });
    expect(err.explanation).toBe(
      'The response stream from the Anthropic API for claude-opus-4-6 was interrupted ' +
        '(socket, stall) and lifeline could not complete it: out of attempts. ' +
        "2 attempt(s) were made over 1235 ms. Nothing received is lost: this error's `partial` " +
        'holds the 2 content block(s) delivered so far and `pending` the 42 byte(s) of the ' +
        'tool_use block that was being received. Retry the request later, raise the attempt ' +
        'budget (maxAttempts, deadlineMs), or run `lifeline explain` / `lifeline analyze` on ' +
        'the trace to see where the connection dies.',
    );
  });

  it('explains a failure before anything arrived: no failure kind, no blocks, no pending block', () => {
    const err = new StreamInterruptedError({
      reason: 'upstream unreachable',
      partial: undefined,
      pending: undefined,
      report: report({ failures: [], attempts: [] }),
    });
    expect(err.lastFailure).toBeUndefined();
    expect(err.explanation).toContain('was interrupted (unknown failure) and lifeline');
    expect(err.explanation).toContain('0 attempt(s) were made');
    expect(err.explanation).toContain('holds the 0 content block(s) delivered so far. Retry');
    expect(err.explanation).not.toContain('pending');
  });
});
