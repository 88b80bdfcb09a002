/**
 * Retry policy: how many attempts, how long to wait between them, and the overall deadline.
 */
export interface RetryPolicy {
  /** Total attempts including the first (default 6). */
  maxAttempts: number;
  /** Base delay for exponential backoff, ms (default 500). */
  baseDelayMs: number;
  /** Cap on one delay, ms (default 8000). */
  maxDelayMs: number;
  /** Overall deadline for all attempts of one request, ms (default 15 min). */
  deadlineMs: number;
  /** Resume a stream that died mid-body at once on the first failure (default true). */
  immediateFirstResume: boolean;
}

/** The retry policy used when `EngineOptions.policy` leaves a field out. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 6,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  deadlineMs: 15 * 60_000,
  immediateFirstResume: true,
};

/**
 * Delay before attempt number `attempt` (2 = the first retry): full jitter over an exponential
 * window, or the server's retry-after when it asked for one (capped by maxDelayMs * 4, since a
 * server asking for more than that is better answered by failing with a clear error).
 */
export function backoffDelay(
  policy: RetryPolicy,
  attempt: number,
  options: { retryAfterMs?: number | undefined; midStream?: boolean; random?: () => number } = {},
): number {
  if (options.retryAfterMs !== undefined)
    return Math.min(options.retryAfterMs, policy.maxDelayMs * 4);
  const retryIndex = attempt - 2;
  if (options.midStream && policy.immediateFirstResume && retryIndex === 0) return 0;
  const window = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retryIndex);
  const random = options.random ?? Math.random;
  // Full jitter, but never less than half the window, so a storm of retries still spreads out
  // without collapsing to zero wait.
  return Math.round(window / 2 + (random() * window) / 2);
}

/** Sleeps `ms`, rejecting with the signal's reason if it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
