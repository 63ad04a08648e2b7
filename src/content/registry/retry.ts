// Retry policy: exponential backoff with jitter, `Retry-After` honoured but capped, and bounds on
// both the number of attempts and the total time spent.

export interface RetryPolicy {
  /** Attempts per request, the first included. Default 4. */
  maxAttempts: number;
  /** The first backoff; doubled each time. Default 250 ms. */
  baseDelayMs: number;
  /** Cap on one backoff. Default 8 s. */
  maxDelayMs: number;
  /** Cap on one `Retry-After` wait. Default 30 s. */
  maxRetryAfterMs: number;
  /** No retry starts once this much time has gone since the first attempt. Default 2 min. */
  totalTimeMs: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = {
  maxAttempts: 4,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 30_000,
  totalTimeMs: 120_000,
};

export function retryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  const policy = { ...DEFAULT_RETRY_POLICY, ...overrides };
  policy.maxAttempts = Math.max(1, Math.floor(policy.maxAttempts));
  return policy;
}

/** Milliseconds to wait before attempt `attempt + 1` (attempt counts from 1). */
export function backoffDelay(
  policy: RetryPolicy,
  attempt: number,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined)
    return Math.min(Math.max(0, retryAfterMs), policy.maxRetryAfterMs);
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  // "Equal jitter": at least half the delay, so retries never bunch up at zero.
  return Math.round(exponential / 2 + (random() * exponential) / 2);
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or bad. */
export function parseRetryAfter(
  value: string | undefined,
  now: number = Date.now(),
): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Whether another attempt fits in the policy after `attempt` attempts and a wait of `delayMs`. */
export function mayRetry(
  policy: RetryPolicy,
  attempt: number,
  startedAt: number,
  delayMs: number,
  now: number = Date.now(),
): boolean {
  return attempt < policy.maxAttempts && now - startedAt + delayMs <= policy.totalTimeMs;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
