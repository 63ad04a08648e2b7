// A bound on jobs in flight: at most `concurrency` run at once, the rest wait their turn in order.
export type Limit = <T>(job: () => Promise<T>) => Promise<T>;

export function createLimit(concurrency: number): Limit {
  let active = 0;
  const waiting: (() => void)[] = [];
  const next = (): void => {
    const wake = waiting.shift();
    if (wake) wake();
    else active--;
  };
  return async (job) => {
    if (active < concurrency) active++;
    // The slot is handed over by the job that ends: `active` stays counted for it.
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await job();
    } finally {
      next();
    }
  };
}
