// The webhook over loopback HTTPS against the local CNCF registry (started here): latency of
// 1,000 reviews of one image (warm: the tag's digest and the image's affinity cached after the
// first), and of the first review of 100 distinct images (cold: tag, index, compat manifest and
// config read each time), with p50 and p99, and what the registry saw. Targets (issue #17): warm
// p99 under 5 ms, and 1,000 reviews of one image cost one registry read of each document.
import { readFileSync } from "node:fs";
import { Agent, request } from "node:https";
import { createCatalog } from "../src/compat/catalog.js";
import { createStoreOpener } from "../src/content/open.js";
import { ImageCache, startWebhookServer } from "../src/ops/webhook/index.js";
import { tempDir } from "../test/content/layout-support.js";
import {
  compatManifest,
  indexBlob,
  pushToRegistry,
  startCountingProxy,
  variantImage,
} from "../test/ops/select-support.js";
import { makeCertificate, review } from "../test/ops/webhook/support.js";
import { startRegistry } from "../test/support/registry.js";
import type { Measurement } from "./harness.js";

const WARM = 1000;
const COLD = 100;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

export async function runAsync(): Promise<Measurement[]> {
  const registry = await startRegistry();
  const proxy = await startCountingProxy(registry.host);
  const dir = tempDir("ocicompat-bench-webhook-");
  const cert = makeCertificate(dir.path);
  const opener = createStoreOpener({});
  const amd64 = { os: "linux", architecture: "amd64" };
  const image = variantImage("bench", amd64);
  for (let i = 0; i <= COLD; i++) {
    const compat = compatManifest(
      [
        { "oci.cpu.features": "avx512f", "oci.kernel.version": `>=5.${i}`, score: 10 },
        { "oci.cpu.features": "avx2, fma" },
      ],
      amd64,
    );
    const index = indexBlob([
      {
        descriptor: image.manifest.desc,
        platform: { ...amd64, compatibilities: compat.descriptor },
      },
    ]);
    await pushToRegistry(
      registry.host,
      `bench/app${i}`,
      [...image.blobs, ...compat.blobs, index],
      index.desc,
      "1",
    );
  }
  const server = await startWebhookServer({
    host: "127.0.0.1",
    port: 0,
    certFile: cert.cert,
    keyFile: cert.key,
    onError: "allow",
    log: () => undefined,
    images: new ImageCache({ opener, catalog: createCatalog(), allowRegistries: [proxy.host] }),
  });
  const agent = new Agent({ keepAlive: true, ca: readFileSync(cert.cert) });
  const send = (body: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const t0 = performance.now();
      const req = request(
        {
          host: "127.0.0.1",
          port: server.port,
          path: "/mutate",
          method: "POST",
          agent,
          headers: { "content-type": "application/json" },
        },
        (res) => {
          res.resume();
          res.on("end", () =>
            res.statusCode === 200
              ? resolve(performance.now() - t0)
              : reject(new Error(`HTTP ${res.statusCode}`)),
          );
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  try {
    const cold: number[] = [];
    for (let i = 1; i <= COLD; i++) {
      cold.push(await send(JSON.stringify(review("pod", [`${proxy.host}/bench/app${i}:1`]))));
    }
    const warmBody = JSON.stringify(review("pod", [`${proxy.host}/bench/app0:1`]));
    proxy.reset();
    // The first review of the image reads it; the 1,000 timed ones after it find it cached.
    await send(warmBody);
    const warm: number[] = [];
    for (let i = 0; i < WARM; i++) warm.push(await send(warmBody));
    const reads = proxy.requests.length;
    const rows: Measurement[] = [];
    for (const [name, times] of [
      [`webhook cold (${COLD} images, first review each)`, cold],
      [`webhook warm (${WARM} reviews, one image)`, warm],
    ] as const) {
      const sorted = [...times].sort((a, b) => a - b);
      rows.push({
        name,
        runs: sorted.length,
        medianMs: percentile(sorted, 50),
        figure: `p99 ${percentile(sorted, 99).toFixed(2)} ms${name.includes("warm") ? `; registry requests for ${WARM + 1} reviews: ${reads}` : ""}`,
      });
    }
    return rows;
  } finally {
    agent.destroy();
    await server.close();
    await opener.close();
    await proxy.close();
    await registry.stop();
    dir.remove();
  }
}
