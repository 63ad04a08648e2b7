// Valid but extreme compatibility content (issue #12.3): a value with 100k alternatives and a
// document with 10k sets, validated, compiled and evaluated the way `select` and `validate` do.
// Each case also runs at a tenth of its size: evaluation is meant to be linear in the input, so
// the "x10 cost" figure should stay near 10 (a quadratic step shows up as ~100). Times are CPU
// time of this process, not wall-clock time: the machines these run on are shared.
import { createCatalog } from "../src/compat/catalog.js";
import { readDocumentLeniently } from "../src/compat/document.js";
import { anySetPasses, evaluateSets, prepareNode } from "../src/compat/evaluate.js";
import type { NodeProfile } from "../src/compat/node-profile.js";
import type { Json } from "../src/oci/json-value.js";
import { median, type Measurement } from "./harness.js";

const catalog = createCatalog();

const node: NodeProfile = {
  schemaVersion: 1,
  name: "bench-node",
  platform: { os: "linux", architecture: "amd64" },
  labels: {
    "oci.cpu.vendor": "GenuineIntel",
    "oci.cpu.features": ["AVX2", "AVX512F", "SSE42", "X86_64_V3"],
    "oci.kernel.version": "5.15.0-91-generic",
    "oci.pci.devices": ["15b3.101b", "8086.0d4e"],
    "oci.kernel.modules": Array.from({ length: 2000 }, (_, i) => `mod_${i}`),
  },
};

const hex4 = (i: number): string => (i % 65536).toString(16).padStart(4, "0");

interface Case {
  name: string;
  /** The compatibilities list for `n` units of size. */
  build(n: number): Json[];
  full: number;
}

const CASES: Case[] = [
  {
    name: "set value, 100k alternatives (a|b|...)",
    full: 100_000,
    build: (n) => [
      {
        "oci.pci.devices": Array.from({ length: n }, (_, i) => `${hex4(i >> 16)}.${hex4(i)}`).join(
          "|",
        ),
      },
    ],
  },
  {
    name: "set value, 100k items (a,b,...)",
    full: 100_000,
    build: (n) => [
      { "oci.kernel.modules": Array.from({ length: n }, (_, i) => `mod_${i % 2000}`).join(",") },
    ],
  },
  {
    name: "set value, 50k required + 50k negated",
    full: 100_000,
    build: (n) => [
      {
        "oci.kernel.modules":
          `${Array.from({ length: n / 2 }, (_, i) => `mod_${i}`).join("|")}, ` +
          `!${Array.from({ length: n / 2 }, (_, i) => `other_${i}`).join("|")}`,
      },
    ],
  },
  {
    name: "string value, 100k alternatives",
    full: 100_000,
    build: (n) => [
      {
        "oci.cpu.vendor": Array.from({ length: n }, (_, i) => `Vendor${i}`).join("|"),
      },
    ],
  },
  {
    name: "version value, 100k alternatives (||)",
    full: 100_000,
    build: (n) => [
      {
        "oci.kernel.version": Array.from({ length: n }, (_, i) => `>=${i + 6}.0, <${i + 6}.1`).join(
          " || ",
        ),
      },
    ],
  },
  {
    name: "10k sets of 4 labels",
    full: 10_000,
    build: (n) =>
      Array.from({ length: n }, (_, i) => ({
        "oci.cpu.vendor": i % 2 === 0 ? "GenuineIntel" : "AuthenticAMD",
        "oci.cpu.features": `AVX512F, AVX512BW${i % 7 === 0 ? ", AMXBF16" : ""}`,
        "oci.kernel.version": `>=${4 + (i % 3)}.${i % 20}`,
        "oci.pci.devices": `15b3.${hex4(i)}`,
        score: i % 100,
      })),
  },
  {
    name: "10k distinct sets of 1 label",
    full: 10_000,
    build: (n) => Array.from({ length: n }, (_, i) => ({ "oci.pci.devices": `10de.${hex4(i)}` })),
  },
];

interface Timing {
  /** Validation, which compiles the sets it validates (readDocumentLeniently), as select reads. */
  read: number;
  evaluate: number;
}

/** CPU milliseconds this process has used. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

function runOnce(sets: Json[]): Timing {
  const t0 = cpuMs();
  const read = readDocumentLeniently("compat", { compatibilities: sets }, { catalog });
  if (read.report.errors.length > 0) throw new Error(read.report.errors[0]?.message);
  const compiled = read.compiled;
  if (compiled === undefined) throw new Error("validation compiled no sets");
  const t1 = cpuMs();
  const prepared = prepareNode(node, catalog);
  anySetPasses(compiled, prepared);
  evaluateSets(compiled, prepared);
  const t2 = cpuMs();
  return { read: t1 - t0, evaluate: t2 - t1 };
}

function medianTiming(sets: Json[], runs: number): Timing {
  const timings = Array.from({ length: runs }, () => runOnce(sets));
  return {
    read: median(timings.map((t) => t.read)),
    evaluate: median(timings.map((t) => t.evaluate)),
  };
}

const total = (t: Timing): number => t.read + t.evaluate;

export function run(): Measurement[] {
  return CASES.map((c) => {
    const small = c.build(c.full / 10);
    const full = c.build(c.full);
    runOnce(small); // warm up the JIT
    const tenth = medianTiming(small, 5);
    const whole = medianTiming(full, 3);
    return {
      name: `extreme: ${c.name}`,
      runs: 3,
      medianMs: total(whole),
      figure:
        `CPU ms: validate+compile ${whole.read.toFixed(0)} + evaluate ${whole.evaluate.toFixed(0)}; ` +
        `x10 cost ${(total(whole) / total(tenth)).toFixed(1)}`,
    };
  });
}
