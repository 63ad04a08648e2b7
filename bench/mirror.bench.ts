// The mirror against the local CNCF registry, direct vs through the mirror (the built CLI as its
// own process, so its memory is its own): the added latency of a warm tag request (target under
// 2 ms at the median), blob throughput (target at least 0.9x direct), and 200 concurrent pulls
// (tag, config, layer) with no error and the mirror's RSS after each round (flat). Run
// `npm run build` first.
import { spawn } from "node:child_process";
import { createCipheriv, createHash } from "node:crypto";
import { openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createServer, get as httpGet, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent, request } from "undici";
import { createRegistryStore } from "../src/content/registry/index.js";
import { MediaType } from "../src/oci/media-types.js";
import { tempDir } from "../test/content/layout-support.js";
import { levelsImage } from "../test/ops/mirror/support.js";
import { pushToRegistry } from "../test/ops/select-support.js";
import { freePort, startRegistry } from "../test/support/registry.js";
import { median, type Measurement } from "./harness.js";

const TAG_RUNS = 300;
const BLOB_BYTES = 128 * 1024 * 1024;
const BLOB_RUNS = 5;
const CONCURRENT = 200;
const ROUNDS = 3;
const ACCEPT = [
  MediaType.ImageIndex,
  MediaType.ImageManifest,
  MediaType.DockerManifestList,
  MediaType.DockerManifest,
].join(", ");

function pseudoRandom(total: number): Buffer {
  const cipher = createCipheriv("aes-256-ctr", Buffer.alloc(32, 9), Buffer.alloc(16, 3));
  return cipher.update(Buffer.alloc(total));
}

const agent = new Agent({ connections: 256, pipelining: 1 });

async function get(url: string, headers: Record<string, string> = {}): Promise<number> {
  const res = await request(url, { dispatcher: agent, headers });
  let bytes = 0;
  for await (const chunk of res.body) bytes += (chunk as Buffer).byteLength;
  if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode}`);
  return bytes;
}

async function timeEach(runs: number, fn: () => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return times;
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? "0");
  return kb / 1024;
}

/**
 * The floor of any proxy on this machine: node:http piping the registry's answer through with
 * nothing else (no verification, no routing). On a loaded 2-core machine one more process in the
 * path costs as much as the transfer itself; compare the mirror with this too.
 */
async function bareRelay(target: string): Promise<Server> {
  const relay = createServer((req, res) => {
    httpGet(`${target}${req.url ?? "/"}`, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
  });
  await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
  return relay;
}

export async function run(): Promise<Measurement[]> {
  const registry = await startRegistry();
  const cache = tempDir("ocicompat-bench-mirror-");
  const image = levelsImage("bench");
  await pushToRegistry(registry.host, "bench/app", image.blobs, image.index.desc, "1.0");
  const big = pseudoRandom(BLOB_BYTES);
  const bigDigest = `sha256:${createHash("sha256").update(big).digest("hex")}`;
  const store = createRegistryStore({ registry: registry.host, repository: "bench/app" });
  await store.push(
    { mediaType: MediaType.ImageLayerGzip, digest: bigDigest, size: BLOB_BYTES },
    big,
  );
  await store.close();

  const port = await freePort();
  // The decision log goes to a file: a pipe would make this process parse a line per request
  // while it measures, and the figure is the mirror's cost, not the harness's.
  const logFile = join(cache.path, "mirror.log");
  const child = spawn(
    process.execPath,
    [
      "bin/ocicompat.js",
      "mirror",
      "--listen",
      `127.0.0.1:${port}`,
      "--upstream",
      registry.host,
      "--node",
      "examples/nodes/intel-spr.json",
    ],
    {
      stdio: ["ignore", openSync(logFile, "w"), "inherit"],
      env: { ...process.env, OCICOMPAT_CACHE_DIR: join(cache.path, "cache") },
    },
  );
  for (let i = 0; !readFileSync(logFile, "utf8").includes('"listening"'); i++) {
    if (child.exitCode !== null || i > 300) throw new Error("the mirror did not start");
    await new Promise((r) => setTimeout(r, 50));
  }
  const direct = `http://${registry.host}`;
  const mirror = `http://127.0.0.1:${port}`;
  const rows: Measurement[] = [];
  try {
    // Warm tag request: GET of the tag with a runtime's Accept, after a warm-up.
    const tag = (base: string) => () =>
      get(`${base}/v2/bench/app/manifests/1.0`, { accept: ACCEPT });
    await timeEach(20, tag(direct));
    await timeEach(20, tag(mirror));
    const directTimes: number[] = [];
    const mirrorTimes: number[] = [];
    // Interleaved, so both see the same machine load.
    for (let i = 0; i < TAG_RUNS; i++) {
      directTimes.push(...(await timeEach(1, tag(direct))));
      mirrorTimes.push(...(await timeEach(1, tag(mirror))));
    }
    const added = median(mirrorTimes) - median(directTimes);
    rows.push({
      name: "mirror: warm tag, direct",
      runs: TAG_RUNS,
      medianMs: median(directTimes),
      figure: "GET tag (the index)",
    });
    rows.push({
      name: "mirror: warm tag, through the mirror",
      runs: TAG_RUNS,
      medianMs: median(mirrorTimes),
      figure: `added ${added.toFixed(3)} ms at the median (target < 2 ms)`,
    });

    // Blob throughput.
    const blob = (base: string) => () => get(`${base}/v2/bench/app/blobs/${bigDigest}`);
    await blob(direct)();
    await blob(mirror)();
    const directBlob: number[] = [];
    const mirrorBlob: number[] = [];
    for (let i = 0; i < BLOB_RUNS; i++) {
      directBlob.push(...(await timeEach(1, blob(direct))));
      mirrorBlob.push(...(await timeEach(1, blob(mirror))));
    }
    const relay = await bareRelay(direct);
    const relayUrl = `http://127.0.0.1:${(relay.address() as AddressInfo).port}`;
    const relayBlob = await timeEach(BLOB_RUNS, blob(relayUrl));
    relay.close();
    const mbps = (ms: number) => BLOB_BYTES / 1024 / 1024 / (ms / 1000);
    const ratio = median(directBlob) / median(mirrorBlob);
    rows.push({
      name: "mirror: 128 MiB blob, direct",
      runs: BLOB_RUNS,
      medianMs: median(directBlob),
      figure: `${mbps(median(directBlob)).toFixed(0)} MiB/s`,
    });
    rows.push({
      name: "mirror: 128 MiB blob, bare node:http relay",
      runs: BLOB_RUNS,
      medianMs: median(relayBlob),
      figure: `${mbps(median(relayBlob)).toFixed(0)} MiB/s, ${(median(directBlob) / median(relayBlob)).toFixed(2)}x direct (any proxy's floor here)`,
    });
    rows.push({
      name: "mirror: 128 MiB blob, through the mirror",
      runs: BLOB_RUNS,
      medianMs: median(mirrorBlob),
      figure: `${mbps(median(mirrorBlob)).toFixed(0)} MiB/s, ${ratio.toFixed(2)}x direct (target >= 0.9x)`,
    });

    // 200 concurrent pulls: tag, then config and layer of what the tag answered.
    const pull = async (): Promise<void> => {
      const res = await request(`${mirror}/v2/bench/app/manifests/1.0`, {
        dispatcher: agent,
        headers: { accept: ACCEPT },
      });
      const manifest = JSON.parse(await res.body.text()) as {
        config: { digest: string };
        layers: { digest: string }[];
      };
      if (res.statusCode !== 200) throw new Error(`tag: ${res.statusCode}`);
      await get(`${mirror}/v2/bench/app/blobs/${manifest.config.digest}`);
      for (const layer of manifest.layers)
        await get(`${mirror}/v2/bench/app/blobs/${layer.digest}`);
    };
    const before = rssMiB(child.pid!);
    const after: string[] = [];
    let errors = 0;
    let slowest = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const t0 = performance.now();
      const results = await Promise.allSettled(Array.from({ length: CONCURRENT }, pull));
      slowest = Math.max(slowest, performance.now() - t0);
      errors += results.filter((r) => r.status === "rejected").length;
      after.push(rssMiB(child.pid!).toFixed(0));
    }
    rows.push({
      name: `mirror: ${CONCURRENT} concurrent pulls x ${ROUNDS}`,
      runs: ROUNDS,
      medianMs: slowest,
      figure: `${errors} errors; mirror RSS ${before.toFixed(0)} MiB before, ${after.join(" / ")} MiB after each round`,
    });
  } finally {
    child.kill("SIGTERM");
    await agent.close();
    await registry.stop();
    cache.remove();
  }
  return rows;
}
