// The mirror's Prometheus metrics, in a registry of its own (prom-client): two mirrors in one
// process (tests, embedding) do not share counters, and nothing global is registered.
import { Counter, Histogram, Registry } from "prom-client";

export interface MirrorMetrics {
  readonly registry: Registry;
  /** Every request answered: method, route kind (manifest, blob, ...), status. */
  requests: Counter<"method" | "route" | "status">;
  /** Every tag answered: chosen, passthrough or refused, with the passthrough reason. */
  decisions: Counter<"decision" | "reason">;
  /** Answers from memory or disk: `verdict` (a remembered selection) or `content` (the disk cache). */
  cacheHits: Counter<"cache">;
  /** Time to the upstream's answer (headers), per operation. */
  upstreamSeconds: Histogram<"operation">;
}

export function createMirrorMetrics(): MirrorMetrics {
  const registry = new Registry();
  return {
    registry,
    requests: new Counter({
      name: "ocicompat_mirror_requests_total",
      help: "Requests answered by the mirror",
      labelNames: ["method", "route", "status"],
      registers: [registry],
    }),
    decisions: new Counter({
      name: "ocicompat_mirror_decisions_total",
      help: "Manifests requested by tag: the chosen entry, the index passed through, or refused",
      labelNames: ["decision", "reason"],
      registers: [registry],
    }),
    cacheHits: new Counter({
      name: "ocicompat_mirror_cache_hits_total",
      help: "Answers from a remembered selection (verdict) or from the on-disk cache (content)",
      labelNames: ["cache"],
      registers: [registry],
    }),
    upstreamSeconds: new Histogram({
      name: "ocicompat_mirror_upstream_seconds",
      help: "Time until the upstream registry answered, per operation",
      labelNames: ["operation"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}

/** Runs `work`, observing its duration under `operation` (whether it succeeds or not). */
export async function timed<T>(
  metrics: MirrorMetrics,
  operation: string,
  work: () => Promise<T>,
): Promise<T> {
  const end = metrics.upstreamSeconds.startTimer({ operation });
  try {
    return await work();
  } finally {
    end();
  }
}
