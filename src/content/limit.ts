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

/**
 * Every promise's value, in order, once all have settled; when some failed, the failure of the
 * lowest index, thrown only after the others have ended too. Unlike Promise.all, nothing started
 * is still running when the caller hears of a failure, and which failure it hears does not depend
 * on which answer came first.
 */
export async function settleAll<T extends readonly unknown[] | []>(
  promises: T,
): Promise<{ -readonly [P in keyof T]: Awaited<T[P]> }> {
  const settled: readonly PromiseSettledResult<unknown>[] = await Promise.allSettled(
    promises as readonly unknown[],
  );
  for (const s of settled) if (s.status === "rejected") throw s.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as {
    -readonly [P in keyof T]: Awaited<T[P]>;
  };
}

/** `work` for every item, at most `concurrency` at once; the values in order, as settleAll gives. */
export function settleEach<I, T>(
  items: readonly I[],
  concurrency: number,
  work: (item: I) => Promise<T>,
): Promise<T[]> {
  const limit = createLimit(concurrency);
  return settleAll(items.map((item) => limit(() => work(item))));
}
