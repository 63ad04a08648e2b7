// Prometheus metrics of the webhook, in a registry of its own (a library must not fill the global one).
import { Counter, Histogram, Registry } from "prom-client";

export interface WebhookMetrics {
  registry: Registry;
  reviews: Counter<"outcome">;
  latency: Histogram<"outcome">;
  registryReads: Counter<"kind">;
  tlsReloads: Counter<"result">;
}

export function createMetrics(): WebhookMetrics {
  const registry = new Registry();
  return {
    registry,
    reviews: new Counter({
      name: "ocicompat_webhook_reviews_total",
      help: "Admission reviews answered, by outcome",
      labelNames: ["outcome"],
      registers: [registry],
    }),
    latency: new Histogram({
      name: "ocicompat_webhook_review_seconds",
      help: "Time to answer an admission review",
      labelNames: ["outcome"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    registryReads: new Counter({
      name: "ocicompat_webhook_registry_reads_total",
      help: "Reads that reached a registry: tag resolutions and image reads (one per digest)",
      labelNames: ["kind"],
      registers: [registry],
    }),
    tlsReloads: new Counter({
      name: "ocicompat_webhook_tls_reloads_total",
      help: "Certificate reloads after the files changed, by result",
      labelNames: ["result"],
      registers: [registry],
    }),
  };
}
