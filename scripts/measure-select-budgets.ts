// Issue #12.3's worst cases, measured on the built CLI: a 1 MB platform.features list, and 8 index
// entries each with a 3.9 MB compatibilities blob. Starts the real registry, pushes both images,
// and runs `ocicompat select` on each under /usr/bin/time -v (wall time, peak memory).
// Usage: npm run build && npx tsx scripts/measure-select-budgets.ts [extra select flags...]
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startRegistry } from "../test/support/registry.js";
import { compatFloodImage, featuresBombImage, pushToRegistry } from "../test/ops/select-support.js";

const extra = process.argv.slice(2);
const registry = await startRegistry();
const work = mkdtempSync(join(tmpdir(), "ocicompat-measure-"));
try {
  const node = join(work, "node.json");
  writeFileSync(
    node,
    JSON.stringify({
      schemaVersion: 1,
      name: "measure",
      platform: { os: "linux", architecture: "amd64" },
      labels: { "oci.cpu.vendor": "GenuineIntel", "oci.cpu.features": ["AVX2"] },
    }),
  );
  const cases = [
    ["1 MB platform.features", "hostile/features", featuresBombImage()],
    ["8 x 3.9 MB compat blobs", "hostile/flood", compatFloodImage()],
  ] as const;
  for (const [name, repo, image] of cases) {
    await pushToRegistry(registry.host, repo, image.blobs, image.index.desc, "v1");
    const args = ["-v", process.execPath, "bin/ocicompat.js", "select", "--node", node];
    args.push("--timeout", "0", ...extra, `${registry.host}/${repo}:v1`);
    const run = spawnSync("/usr/bin/time", args, {
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1", OCICOMPAT_CACHE_DIR: join(work, `cache-${repo}`) },
      maxBuffer: 64 * 1024 * 1024,
    });
    const wall = /Elapsed \(wall clock\) time.*: (.*)/.exec(run.stderr)?.[1];
    const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(run.stderr)?.[1];
    const status = /Exit status: (\d+)/.exec(run.stderr)?.[1];
    const first = run.stderr.split("\n").find((l) => l.startsWith("ocicompat")) ?? "";
    console.log(
      `${name}: exit ${status}, wall ${wall}, peak RSS ${Math.round(Number(rss) / 1024)} MiB; ${first.slice(0, 300)}`,
    );
  }
} finally {
  await registry.stop();
  rmSync(work, { recursive: true, force: true });
}
