// The compatibility language at scale: label evaluations per second with compiled matchers, and
// a synthetic fleet matrix of 1,000 images × 10,000 nodes (3 sets × 6 labels per image).
import { createCatalog } from "../src/compat/catalog.js";
import { compileSets } from "../src/compat/compiled-set.js";
import { compatibilityMatrix, type MatrixImage } from "../src/compat/matrix.js";
import type { NodeProfile } from "../src/compat/node-profile.js";
import { readSets } from "../src/compat/sets.js";
import {
  compileValue,
  prepareFact,
  type Matcher,
  type PreparedFact,
} from "../src/compat/value/index.js";
import type { Fact, LabelType } from "../src/compat/label-types.js";
import { measure, once, seededRandom, type Measurement } from "./harness.js";

const catalog = createCatalog();
const FEATURES = [
  "SSE4_2",
  "POPCNT",
  "AVX",
  "AVX2",
  "BMI1",
  "BMI2",
  "FMA",
  "F16C",
  "MOVBE",
  "AVX512F",
  "AVX512BW",
  "AVX512CD",
  "AVX512DQ",
  "AVX512VL",
  "AVX512VNNI",
  "AVX512BF16",
  "AVX512FP16",
  "AMXBF16",
  "AMXINT8",
  "AMXTILE",
  "SHA",
  "AESNI",
  "VAES",
  "VPCLMULQDQ",
  "GFNI",
  "RDRAND",
  "RDSEED",
  "ADX",
  "CLFLUSHOPT",
  "CLWB",
  "X86_64_V2",
  "X86_64_V3",
  "X86_64_V4",
  "XSAVE",
  "XSAVEC",
  "XSAVEOPT",
  "PKU",
  "WAITPKG",
  "SERIALIZE",
  "TSXLDTRK",
];
const KERNELS = [
  "4.18.0-553.el8_10.x86_64",
  "5.14.0-427.13.1.el9_4.x86_64",
  "5.15.0-91-generic",
  "6.1.0-18-amd64",
  "6.8.0-45-generic",
];
const GLIBCS = ["2.28", "2.31", "2.34", "2.35", "2.36", "2.39"];
const PCI = [
  "8086.0d4e",
  "15b3.101b",
  "15b3.101d",
  "15b3.1021",
  "10de.2330",
  "1002.74a1",
  "1022.14a4",
];

function pick<T>(rand: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rand() * xs.length)] as T;
}

function sample<T>(rand: () => number, xs: readonly T[], n: number): T[] {
  return [...xs].sort(() => rand() - 0.5).slice(0, n);
}

function labelEvaluations(): Measurement {
  const cases: [LabelType, string, Fact][] = [
    ["version", ">=2.31, <=2.37", "2.35"],
    ["version", "[5.14, 6.0) || >=6.5", "5.15.0-91-generic"],
    ["set", "AVX2, AVX512F, !AMXBF16", FEATURES],
    ["set", "15b3.101b|15b3.101d", PCI],
    ["string", "GenuineIntel|AuthenticAMD", "AuthenticAMD"],
    ["quantity", ">=64Gi", 68719476736],
    ["bool", "false", false],
  ];
  const compiled: [Matcher, PreparedFact][] = cases.map(([type, value, fact]) => {
    const result = compileValue(type, value);
    if (!result.ok) throw new Error(`${value}: ${result.issues[0]?.message}`);
    const prepared = prepareFact(type, fact);
    if (!prepared) throw new Error(`fact for ${value}`);
    return [result.matcher, prepared];
  });
  const rounds = 200_000;
  let passes = 0;
  const m = measure(() => {
    for (let r = 0; r < rounds; r++) {
      for (const [matcher, fact] of compiled) if (matcher.matches(fact)) passes++;
    }
  }, 3000);
  if (passes === 0) throw new Error("nothing passed");
  const evals = rounds * compiled.length;
  return {
    name: `label evaluations (${compiled.length} label kinds, 1 core)`,
    ...m,
    figure: `${(evals / (m.medianMs / 1000) / 1e6).toFixed(1)} M evals/s (target >= 5)`,
  };
}

export function makeImages(count: number, rand: () => number): MatrixImage[] {
  const images: MatrixImage[] = [];
  for (let i = 0; i < count; i++) {
    const sets = [0, 1, 2].map((s) => ({
      "oci.cpu.vendor": pick(rand, ["GenuineIntel", "AuthenticAMD", "GenuineIntel|AuthenticAMD"]),
      "oci.cpu.features": sample(rand, FEATURES.slice(0, 20), 1 + Math.floor(rand() * 3)).join(
        ", ",
      ),
      "oci.kernel.version": pick(rand, [">=4.18", ">=5.14", "[5.14, 6.0) || >=6.5", ">=6.1"]),
      "oci.os.glibc": pick(rand, [">=2.28", ">=2.31, <=2.37", ">=2.34"]),
      "oci.pci.devices": pick(rand, ["15b3.*", "10de.2330|1002.74a1", "15b3.101d"]),
      "oci.memory.total": pick(rand, [">=16Gi", ">=64Gi", ">=256Gi"]),
      score: s,
    }));
    const compiled = compileSets(readSets(sets), catalog);
    if (compiled.errors.length) throw new Error(compiled.errors[0]?.message);
    images.push({ name: `image-${i}`, sets: compiled.compiled });
  }
  return images;
}

export function makeNode(i: number, rand: () => number): NodeProfile {
  return {
    schemaVersion: 1,
    name: `node-${i}`,
    platform: { os: "linux", architecture: "amd64" },
    labels: {
      "oci.cpu.vendor": pick(rand, ["GenuineIntel", "AuthenticAMD"]),
      "oci.cpu.features": sample(rand, FEATURES, 25 + Math.floor(rand() * 15)),
      "oci.kernel.version": pick(rand, KERNELS),
      "oci.os.glibc": pick(rand, GLIBCS),
      "oci.pci.devices": sample(rand, PCI, 2 + Math.floor(rand() * 3)),
      "oci.memory.total": (16 + Math.floor(rand() * 1000)) * 2 ** 30,
    },
  };
}

function matrix(images: MatrixImage[], nodes: NodeProfile[], label: string): Measurement {
  let compatible = 0;
  let groups = 0;
  const m = once(() => {
    const result = compatibilityMatrix(images, nodes, catalog);
    groups = result.groups.length;
    for (const c of result.cells) compatible += c;
  });
  const pairs = images.length * nodes.length;
  return {
    name: `matrix ${images.length} images x ${nodes.length} nodes, ${label}`,
    ...m,
    figure: `${groups} groups, ${(pairs / (m.medianMs / 1000) / 1e6).toFixed(1)} M pairs/s, ${compatible} compatible image x group cells`,
  };
}

export function run(): Measurement[] {
  const rand = seededRandom(42);
  const images = makeImages(1000, rand);
  const distinct = Array.from({ length: 10_000 }, (_, i) => makeNode(i, rand));
  const shapes = Array.from({ length: 50 }, (_, i) => makeNode(i, rand));
  const fleet = Array.from({ length: 10_000 }, (_, i) => ({
    ...(shapes[i % shapes.length] as NodeProfile),
    name: `fleet-${i}`,
  }));
  return [
    labelEvaluations(),
    matrix(images, fleet, "50 distinct fact sets"),
    matrix(images, distinct, "all distinct"),
  ];
}
