// A bound on concurrent transfers.

/**
 * At most `concurrency` jobs at once. A finishing job hands its slot straight to the next waiter,
 * so a newcomer cannot slip in between and exceed the bound.
 */
export function limiter(concurrency: number): <T>(job: () => Promise<T>) => Promise<T> {
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
