/**
 * The retry policy on its own: how long each retry waits, and sleeping through a backoff that
 * the caller may abort.
 */
import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  type RetryPolicy,
  sleep,
} from '../../src/resume/policy.js';

const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 400, maxDelayMs: 3_000 };
const low = () => 0;
const high = () => 1;

describe('backoffDelay', () => {
  it('resumes a stream that died mid-body at once on its first retry', () => {
    expect(backoffDelay(policy, 2, { midStream: true, random: high })).toBe(0);
  });

  it('waits on the first mid-stream retry when immediateFirstResume is off', () => {
    const off = { ...policy, immediateFirstResume: false };
    expect(backoffDelay(off, 2, { midStream: true, random: low })).toBe(200);
    expect(backoffDelay(off, 2, { midStream: true, random: high })).toBe(400);
  });

  it('waits on the second mid-stream retry, and on a first retry before the stream started', () => {
    expect(backoffDelay(policy, 3, { midStream: true, random: low })).toBe(400);
    expect(backoffDelay(policy, 2, { random: low })).toBe(200);
    expect(backoffDelay(policy, 2, { midStream: false, random: low })).toBe(200);
  });

  it('draws from the upper half of a window that doubles with each retry', () => {
    // Window: base * 2^(attempt - 2); the delay is window/2 + random * window/2.
    const windows = [400, 800, 1_600];
    windows.forEach((window, i) => {
      const attempt = i + 2;
      expect(backoffDelay(policy, attempt, { random: low })).toBe(window / 2);
      expect(backoffDelay(policy, attempt, { random: () => 0.5 })).toBe((window * 3) / 4);
      expect(backoffDelay(policy, attempt, { random: high })).toBe(window);
    });
  });

  it('rounds to whole milliseconds', () => {
    expect(backoffDelay(policy, 2, { random: () => 0.0031 })).toBe(201);
    expect(backoffDelay(policy, 2, { random: () => 0.0009 })).toBe(200);
  });

  it('caps the window at maxDelayMs', () => {
    // Attempt 5: 400 * 8 = 3,200 > 3,000.
    expect(backoffDelay(policy, 5, { random: high })).toBe(3_000);
    expect(backoffDelay(policy, 5, { random: low })).toBe(1_500);
    expect(backoffDelay(policy, 30, { random: high })).toBe(3_000);
  });

  it('uses Math.random when no random source is given, staying inside the window', () => {
    const spy = vi.spyOn(Math, 'random').mockReturnValue(0.5);
    try {
      expect(backoffDelay(policy, 3)).toBe(600);
      expect(spy).toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });

  it("honours the server's retry-after instead of the backoff, even mid-stream", () => {
    expect(backoffDelay(policy, 4, { retryAfterMs: 1_234, random: high })).toBe(1_234);
    expect(backoffDelay(policy, 2, { retryAfterMs: 0, random: high })).toBe(0);
    expect(backoffDelay(policy, 2, { retryAfterMs: 700, midStream: true })).toBe(700);
  });

  it('caps a retry-after at four times maxDelayMs', () => {
    expect(backoffDelay(policy, 2, { retryAfterMs: 12_000 })).toBe(12_000);
    expect(backoffDelay(policy, 2, { retryAfterMs: 12_001 })).toBe(12_000);
    expect(backoffDelay(policy, 2, { retryAfterMs: 3_600_000 })).toBe(12_000);
  });

  it('has the documented defaults', () => {
    expect(DEFAULT_RETRY_POLICY).toEqual({
      maxAttempts: 6,
      baseDelayMs: 500,
      maxDelayMs: 8_000,
      deadlineMs: 15 * 60_000,
      immediateFirstResume: true,
    });
  });
});

describe('sleep', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const settled = (p: Promise<void>) => {
    const state = { done: false, error: undefined as unknown };
    p.then(
      () => {
        state.done = true;
      },
      (error: unknown) => {
        state.done = true;
        state.error = error;
      },
    );
    return state;
  };

  it('resolves after the delay, not before', async () => {
    const state = settled(sleep(1_000));
    await vi.advanceTimersByTimeAsync(999);
    expect(state.done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(state).toEqual({ done: true, error: undefined });
  });

  it('resolves at once for a delay of zero or less, without a timer', async () => {
    await expect(sleep(0)).resolves.toBeUndefined();
    await expect(sleep(-5)).resolves.toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects with the reason when aborted during the backoff, and clears its timer', async () => {
    const controller = new AbortController();
    const state = settled(sleep(5_000, controller.signal));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(state.done).toBe(false);
    const reason = new Error('caller went away');
    controller.abort(reason);
    await vi.advanceTimersByTimeAsync(0);
    expect(state).toEqual({ done: true, error: reason });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects at once when the signal is already aborted, even for a zero delay', async () => {
    const reason = new Error('already gone');
    await expect(sleep(1_000, AbortSignal.abort(reason))).rejects.toBe(reason);
    await expect(sleep(0, AbortSignal.abort(reason))).rejects.toBe(reason);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('leaves no abort listener behind after a backoff that ran out', async () => {
    // One signal spans every retry of a request: each finished sleep must let go of it.
    const controller = new AbortController();
    for (let i = 0; i < 3; i++) {
      const p = sleep(100, controller.signal);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(100);
      await p;
    }
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});
