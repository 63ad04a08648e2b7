// Test support for the selection core tests: the catalog, node profiles (INTEL, a linux/amd64/v3
// node), index entries with or without compatibilities, and selectEntries run on them.
import assert from "node:assert/strict";
import { createCatalog } from "../../src/compat/catalog.js";
import { compileSets } from "../../src/compat/compiled-set.js";
import { prepareNode } from "../../src/compat/evaluate.js";
import type { NodeProfile } from "../../src/compat/node-profile.js";
import { parsePlatformOverride } from "../../src/compat/platform-match.js";
import { selectEntries } from "../../src/compat/select.js";
import type {
  EntryCompat,
  EntryPlatform,
  SelectionEntryInput,
} from "../../src/compat/select/input.js";
import { readSets } from "../../src/compat/sets.js";
import { MediaType } from "../../src/oci/media-types.js";

export const catalog = createCatalog();

export function profile(
  platform: NodeProfile["platform"],
  labels: NodeProfile["labels"] = {},
): NodeProfile {
  return { schemaVersion: 1, name: "n", platform, labels };
}

export function entryPlatform(spec: string): {
  os: string;
  architecture: string;
  variant?: string;
} {
  const [os, architecture, variant] = spec.split("/") as [string, string, string | undefined];
  return { os, architecture, ...(variant ? { variant } : {}) };
}

let digestCounter = 0;
export function digest(): string {
  return `sha256:${(digestCounter++).toString(16).padStart(64, "0")}`;
}

export function sets(...list: Record<string, unknown>[]): EntryCompat {
  const compiled = compileSets(readSets(list), catalog);
  assert.equal(compiled.errors.length, 0);
  return {
    state: "ok",
    form: "manifest",
    descriptor: { mediaType: MediaType.ImageManifest, digest: digest(), size: 500 },
    sets: compiled.compiled,
  };
}

export function entry(
  platform: string | EntryPlatform | undefined,
  extra: Partial<SelectionEntryInput> = {},
): SelectionEntryInput {
  return {
    descriptor: { mediaType: MediaType.ImageManifest, digest: digest(), size: 1000 },
    ...(platform === undefined
      ? {}
      : { platform: typeof platform === "string" ? entryPlatform(platform) : platform }),
    ...extra,
  };
}

export const INTEL: NodeProfile = profile(
  { os: "linux", architecture: "amd64", variant: "v3" },
  {
    "oci.cpu.vendor": "GenuineIntel",
    "oci.cpu.features": ["AVX2", "BMI2", "FMA", "X86_64_V3"],
    "oci.os.glibc": "2.35",
    "oci.kernel.version": "5.15.0-91-generic",
  },
);

export function run(
  inputs: SelectionEntryInput[],
  p: NodeProfile = INTEL,
  options: { tags?: string[]; platform?: string } = {},
) {
  return selectEntries(inputs, {
    node: prepareNode(p, catalog),
    catalog,
    ...(options.tags ? { tags: options.tags } : {}),
    ...(options.platform ? { platform: parsePlatformOverride(options.platform) } : {}),
  });
}
