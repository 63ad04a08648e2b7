// infer's scan against plain `gunzip` on the same layer (issue #18: at least 80% of gunzip's
// throughput), and its memory at two layer sizes (it must stay flat). The layer is a gzipped tar
// of many files, partly random and partly repetitive so that it compresses like real content,
// with the machine's libc.so.6 among them; it lives in an OCI layout, so the scan also verifies
// the blob's digest as it reads, as it does for real. Memory is the growth of the process's RSS
// during the scan (run with node --expose-gc for a settled baseline).
import { spawnSync } from "node:child_process";
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes, createHash } from "node:crypto";
import { createGzip } from "node:zlib";
import { pipeline } from "node:stream/promises";
import * as tar from "tar-stream";
import { openLayout } from "../src/content/layout.js";
import { MediaType } from "../src/oci/media-types.js";
import { infer } from "../src/ops/infer.js";
import type { Measurement } from "./harness.js";

const FILE_BYTES = 256 * 1024;

async function writeLayer(path: string, totalBytes: number): Promise<void> {
  const pack = tar.pack();
  const done = pipeline(pack, createGzip({ level: 6 }), createWriteStream(path));
  const libc = readFileSync("/lib/x86_64-linux-gnu/libc.so.6");
  pack.entry({ name: "usr/lib/x86_64-linux-gnu/libc.so.6", size: libc.length, mode: 0o755 }, libc);
  const files = Math.ceil(totalBytes / FILE_BYTES);
  for (let i = 0; i < files; i++) {
    // Half random, half a repeated pattern: gzip ratio about 2:1.
    const body = Buffer.concat([
      randomBytes(FILE_BYTES / 2),
      Buffer.alloc(FILE_BYTES / 2, i % 251),
    ]);
    await new Promise<void>((resolve, reject) =>
      pack.entry({ name: `data/f${i}.bin`, size: body.length }, body, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
  }
  pack.finalize();
  await done;
}

async function imageLayout(dir: string, totalBytes: number): Promise<string> {
  const layerFile = join(dir, `layer-${totalBytes}.tar.gz`);
  await writeLayer(layerFile, totalBytes);
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of createReadStream(layerFile)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  const digest = `sha256:${hash.digest("hex")}`;
  const layout = await openLayout(join(dir, `layout-${totalBytes}`), { create: true });
  const put = async (mediaType: string, body: Buffer) => {
    const desc = {
      mediaType,
      digest: `sha256:${createHash("sha256").update(body).digest("hex")}`,
      size: body.length,
    };
    await layout.push(desc, body);
    return desc;
  };
  const layer = { mediaType: MediaType.ImageLayerGzip, digest, size };
  await layout.push(layer, createReadStream(layerFile));
  const config = await put(
    MediaType.ImageConfig,
    Buffer.from(
      JSON.stringify({
        os: "linux",
        architecture: "amd64",
        config: {},
        rootfs: { type: "layers", diff_ids: [] },
      }),
    ),
  );
  const manifest = await put(
    MediaType.ImageManifest,
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ImageManifest,
        config,
        layers: [layer],
      }),
    ),
  );
  await layout.tag(manifest, "bench");
  return layerFile;
}

function gunzipMs(file: string): number {
  const t0 = performance.now();
  const r = spawnSync("sh", ["-c", `gunzip -c '${file}' > /dev/null`]);
  if (r.status !== 0) throw new Error(`gunzip failed: ${r.stderr.toString()}`);
  return performance.now() - t0;
}

async function inferMs(dir: string, totalBytes: number): Promise<{ ms: number; peakRss: number }> {
  const layout = await openLayout(join(dir, `layout-${totalBytes}`));
  (globalThis as { gc?: () => void }).gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  const t0 = performance.now();
  await infer(layout, "bench");
  const ms = performance.now() - t0;
  clearInterval(timer);
  return { ms, peakRss: peak - base };
}

const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

export async function run(): Promise<Measurement[]> {
  const dir = mkdtempSync(join(tmpdir(), "ocicompat-bench-infer-"));
  const rows: Measurement[] = [];
  try {
    for (const size of [64 * 1024 * 1024, 512 * 1024 * 1024]) {
      const file = await imageLayout(dir, size);
      const mb = size / (1024 * 1024);
      const gz: number[] = [];
      const scan: number[] = [];
      let peak = 0;
      for (let i = 0; i < 3; i++) {
        gz.push(gunzipMs(file));
        const r = await inferMs(dir, size);
        scan.push(r.ms);
        peak = Math.max(peak, r.peakRss);
      }
      const g = median(gz);
      const s = median(scan);
      rows.push({
        name: `infer: gunzip -c, ${mb} MiB layer`,
        runs: 3,
        medianMs: g,
        figure: `${(mb / (g / 1000)).toFixed(0)} MiB/s`,
      });
      rows.push({
        name: `infer: scan, ${mb} MiB layer`,
        runs: 3,
        medianMs: s,
        figure: `${(mb / (s / 1000)).toFixed(0)} MiB/s = ${((g / s) * 100).toFixed(0)}% of gunzip; RSS growth ${(peak / 1024 / 1024).toFixed(0)} MiB`,
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
