// Regenerates examples/demo/: an image index of four variants whose compatibilities come from
// the authoring files beside this script. Run: npx tsx examples/generate.ts
// The image manifest digests are placeholders until the demo becomes a full OCI layout.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildCompatBlob, buildCompatConfig, buildCompatManifest } from "../src/compat/build.js";
import { parseYaml } from "../src/compat/yaml.js";
import { computeDigest } from "../src/oci/digest.js";
import { MediaType } from "../src/oci/media-types.js";

const here = "examples";
const out = join(here, "demo");
const created = "2026-11-30T00:00:00Z";

function sets(file: string): Record<string, unknown>[] {
  const doc = parseYaml(readFileSync(join(here, file), "utf8"), file) as {
    compatibilities: Record<string, unknown>[];
  };
  return doc.compatibilities;
}

function placeholderManifest(name: string, size: number) {
  return {
    mediaType: MediaType.ImageManifest,
    digest: computeDigest(new TextEncoder().encode(name)),
    size,
  };
}

const v3Config = buildCompatConfig(
  sets("compat-v3.yaml"),
  { os: "linux", architecture: "amd64", variant: "v3" },
  created,
);
const v3Manifest = buildCompatManifest(v3Config.descriptor, { created });
const avx512Blob = buildCompatBlob(sets("compat-avx512.yaml"), {
  "org.opencontainers.image.created": created,
});

const index = {
  schemaVersion: 2,
  mediaType: MediaType.ImageIndex,
  manifests: [
    {
      ...placeholderManifest("demo generic amd64", 1024),
      platform: { architecture: "amd64", os: "linux" },
    },
    {
      ...placeholderManifest("demo amd64 v3", 1024),
      platform: {
        architecture: "amd64",
        os: "linux",
        variant: "v3",
        features: ["avx2", "bmi2"],
        compatibilities: v3Manifest.descriptor,
      },
    },
    {
      ...placeholderManifest("demo amd64 avx512", 1024),
      platform: {
        architecture: "amd64",
        os: "linux",
        variant: "v4",
        compat: avx512Blob.descriptor,
      },
    },
    {
      ...placeholderManifest("demo arm64", 1024),
      platform: { architecture: "arm64", os: "linux" },
    },
  ],
  annotations: { "org.opencontainers.image.title": "ocifit demo" },
};

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const files: Record<string, Uint8Array | string> = {
  "index.json": `${JSON.stringify(index, null, 2)}\n`,
  "compat-v3.config.json": v3Config.bytes,
  "compat-v3.manifest.json": v3Manifest.bytes,
  "compat-avx512.blob.json": avx512Blob.bytes,
  "oci-layout": '{"imageLayoutVersion":"1.0.0"}',
};
for (const [name, body] of Object.entries(files)) writeFileSync(join(out, name), body);
console.log(`wrote ${Object.keys(files).length} files to ${out}/`);
