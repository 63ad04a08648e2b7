// A bound on jobs in flight: at most `concurrency` run at once, the rest wait their turn in order.
// One for every walk that fetches or pushes concurrently (copy, verify, select, fleet, affinity).

export type Limit = <T>(job: () => Promise<T>) => Promise<T>;

/**
 * At most `concurrency` jobs at once. A finishing job hands its slot straight to the next waiter
 * (`active` stays counted for it), so a newcomer cannot slip in between and exceed the bound.
 */
export function createLimit(concurrency: number): Limit {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (job) => {
    if (active < concurrency) active++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await job();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}
