// Pull throughput: an image with one 256 MiB layer, from the local CNCF registry into an OCI
// layout, ocicompat vs `skopeo copy`, and ocicompat's peak RSS (it must stay flat while streaming).
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRegistryStore } from "../src/content/registry/index.js";
import { MediaType } from "../src/oci/media-types.js";
import { startRegistry } from "../test/support/registry.js";
import { pseudoRandomBytes, randomLayer } from "./generated-content.js";
import type { Measurement } from "./harness.js";

const LAYER_BYTES = 256 * 1024 * 1024;

function json(value: unknown): { bytes: Uint8Array; digest: string; size: number } {
  const bytes = Buffer.from(JSON.stringify(value));
  return {
    bytes,
    digest: `sha256:${createHash("sha256").update(bytes).digest("hex")}`,
    size: bytes.byteLength,
  };
}

export async function run(): Promise<Measurement[]> {
  const registry = await startRegistry();
  const work = mkdtempSync(join(tmpdir(), "ocicompat-bench-pull-"));
  try {
    const store = createRegistryStore({ registry: registry.host, repository: "bench/big" });
    const layer = await randomLayer(7, LAYER_BYTES);
    await store.push(layer, pseudoRandomBytes(7, LAYER_BYTES));
    const config = json({
      architecture: "amd64",
      os: "linux",
      rootfs: { type: "layers", diff_ids: [layer.digest] },
    });
    await store.push(
      { mediaType: MediaType.ImageConfig, digest: config.digest, size: config.size },
      config.bytes,
    );
    const manifest = json({
      schemaVersion: 2,
      mediaType: MediaType.ImageManifest,
      config: { mediaType: MediaType.ImageConfig, digest: config.digest, size: config.size },
      layers: [layer],
    });
    const manifestDesc = {
      mediaType: MediaType.ImageManifest,
      digest: manifest.digest,
      size: manifest.size,
    };
    await store.push(manifestDesc, manifest.bytes);
    await store.tag(manifestDesc, "v1");
    await store.close();

    const ours = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "bench/pull-worker.ts",
        registry.host,
        "bench/big",
        "v1",
        join(work, "ocicompat"),
      ],
      { encoding: "utf8" },
    );
    if (ours.status !== 0) throw new Error(`ocicompat pull failed: ${ours.stderr}`);
    const { ms, peakRss, baselineRss } = JSON.parse(ours.stdout) as {
      ms: number;
      peakRss: number;
      baselineRss: number;
    };

    const t0 = performance.now();
    const theirs = spawnSync(
      "skopeo",
      [
        "copy",
        "-q",
        "--src-tls-verify=false",
        `docker://${registry.host}/bench/big:v1`,
        `oci:${join(work, "skopeo")}:v1`,
      ],
      { encoding: "utf8" },
    );
    const skopeoMs = performance.now() - t0;
    if (theirs.status !== 0) throw new Error(`skopeo copy failed: ${theirs.stderr}`);

    const mb = LAYER_BYTES / 1e6;
    return [
      {
        name: "pull 256 MiB layer registry -> oci layout: ocicompat",
        runs: 1,
        medianMs: ms,
        figure: `${(mb / (ms / 1000)).toFixed(0)} MB/s, peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB, +${((peakRss - baselineRss) / 2 ** 20).toFixed(0)} MiB over start`,
      },
      {
        name: "pull 256 MiB layer registry -> oci layout: skopeo copy",
        runs: 1,
        medianMs: skopeoMs,
        figure: `${(mb / (skopeoMs / 1000)).toFixed(0)} MB/s; ocicompat/skopeo time ratio ${(ms / skopeoMs).toFixed(2)}`,
      },
    ];
  } finally {
    rmSync(work, { recursive: true, force: true });
    await registry.stop();
  }
}
