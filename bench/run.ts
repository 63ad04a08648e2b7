// npm run bench [suite...]: every benchmark in bench/, one table. Suites: validate-index,
// evaluate, extreme (valid but extreme compat content: 100k alternatives, 10k sets), hostile-json
// (4 MiB documents nested to make a parser build deep structures, at a tenth and full size), fleet (matrices
// of 10k and 100k distinct nodes, before/after), discover, pull (starts a local registry; needs
// docker-registry and skopeo), nfd (select on an NFD artifact; starts a local registry), select
// (starts a local registry), copy (local registry and skopeo), startup (the built CLI as a
// process; run `npm run build` first), infer (a gzipped layer scanned against plain gunzip),
// webhook (starts a local registry; HTTPS reviews, warm and cold), mirror (local registry and the
// built CLI's mirror: warm tag latency, blob throughput, 200 concurrent pulls), skopeo-pair (the
// built CLI and skopeo copy the same images alternately: layout -> registry, a small registry ->
// registry copy, registry -> oci-archive and -> layout, with peak RSS; run `npm run build` first),
// mount (a layout copied into a second repository of a registry that holds its blobs, against
// skopeo; the built CLI and skopeo), latency-pair (a small copy against skopeo over HTTPS with
// 0, 2, 10 and 20 ms of round-trip time added, and a warm select beside skopeo inspect --raw;
// the built CLI and skopeo), attach (attach, re-attach, verify --gc and protect --images of four
// entries at 0 and 20 ms of round trip; the built CLI), protect (a first protect, and protect
// --images, of 150 entries attached without anchors, at 0 and 20 ms of round trip; the built CLI).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { printTable, type Measurement } from "./harness.js";
import { run as attach } from "./attach.bench.js";
import { run as copy } from "./copy.bench.js";
import { runAsync as discover } from "./discover.bench.js";
import { run as evaluate } from "./evaluate.bench.js";
import { run as extreme } from "./extreme-content.bench.js";
import { run as hostileJson } from "./hostile-json.bench.js";
import { run as inferScan } from "./infer.bench.js";
import { run as latencyPair } from "./latency-pair.bench.js";
import { run as fleet } from "./fleet.bench.js";
import { run as mirror } from "./mirror.bench.js";
import { run as mount } from "./mount.bench.js";
import { run as protect } from "./protect.bench.js";
import { run as pull } from "./pull.bench.js";
import { run as skopeoPair } from "./skopeo-pair.bench.js";
import { runAsync as select } from "./select.bench.js";
import { runAsync as nfd } from "./nfd.bench.js";
import { run as startup } from "./startup.bench.js";
import { run as validateIndex } from "./validate-index.bench.js";
import { runAsync as webhook } from "./webhook.bench.js";

type Suite = () => Measurement[] | Promise<Measurement[]>;

const suites: [string, Suite][] = [
  ["validate-index", validateIndex],
  ["evaluate", evaluate],
  ["extreme", extreme],
  ["hostile-json", hostileJson],
  ["fleet", fleet],
  ["discover", discover],
  ["pull", pull],
  ["select", select],
  ["nfd", nfd],
  ["copy", copy],
  ["skopeo-pair", skopeoPair],
  ["startup", startup],
  ["infer", inferScan],
  ["webhook", webhook],
  ["mirror", mirror],
  ["mount", mount],
  ["latency-pair", latencyPair],
  ["attach", attach],
  ["protect", protect],
];
const only = process.argv.slice(2);
const rows: Measurement[] = [];
// The CLI keeps V8's compiled code in a cache that grows with every kind of run it sees, and what
// it holds changes a short command's time by a few ms. Each suite gets an empty cache of its own,
// which its warm-up runs fill, so figures compare across builds and sessions. A cache directory
// set by the caller (or "" for none) is kept.
const ownCodeCache = process.env["OCICOMPAT_CODE_CACHE_DIR"] === undefined;
for (const [name, suite] of suites) {
  if (only.length > 0 && !only.includes(name)) continue;
  const codeCache = ownCodeCache ? mkdtempSync(join(tmpdir(), "ocicompat-bench-code-")) : undefined;
  if (codeCache !== undefined) process.env["OCICOMPAT_CODE_CACHE_DIR"] = codeCache;
  try {
    rows.push(...(await suite()));
  } finally {
    if (codeCache !== undefined) {
      delete process.env["OCICOMPAT_CODE_CACHE_DIR"];
      rmSync(codeCache, { recursive: true, force: true });
    }
  }
}
console.log(`ocicompat bench, node ${process.version}, ${new Date().toISOString()}`);
// Node.js parses NODE_EXTRA_CA_CERTS at start-up, before any code runs: a bundle of the system's
// CAs there costs every Node.js process (node -e 0 included) ~40 ms of CPU on the reference
// machine, and no Go tool anything. The figures are only comparable with that said.
const extraCas = process.env["NODE_EXTRA_CA_CERTS"];
if (extraCas) {
  console.log(
    `NODE_EXTRA_CA_CERTS=${extraCas}: every Node.js process above parsed it at start-up; run with it unset to measure as a machine without it`,
  );
}
printTable(rows);
