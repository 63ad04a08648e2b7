// Builds examples/demo-layout: an OCI image layout holding a demo index of four variants, with
// compatibilities attached by ocicompat itself. Deterministic, so the committed layout can be
// checked for staleness. Run: npx tsx examples/build-demo.ts
//
// Tags: `plain` is the index as a build would push it (no compatibilities); `demo` is the same
// images after `ocicompat attach` (a Proposal I manifest on the v3 build, a Proposal J blob on the
// AVX-512 build).
import { rmSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { pack } from "tar-stream";
import { openLayout } from "../src/content/layout.js";
import type { Store } from "../src/content/store.js";
import { computeDigest } from "../src/oci/digest.js";
import { MediaType } from "../src/oci/media-types.js";
import { attachFile } from "../src/ops/attach.js";

export const DEMO_LAYOUT = "examples/demo-layout";
const CREATED = "2026-11-30T00:00:00Z";

interface Variant {
  name: string;
  platform: { os: string; architecture: string; variant?: string; features?: string[] };
}

const VARIANTS: Variant[] = [
  { name: "generic x86-64 build", platform: { os: "linux", architecture: "amd64" } },
  {
    name: "x86-64-v3 build (AVX2)",
    platform: { os: "linux", architecture: "amd64", variant: "v3", features: ["avx2", "bmi2"] },
  },
  {
    name: "AVX-512 build for RDMA nodes",
    platform: { os: "linux", architecture: "amd64", variant: "v4" },
  },
  { name: "arm64 build", platform: { os: "linux", architecture: "arm64" } },
];

async function tarOf(name: string, content: string): Promise<Buffer> {
  const archive = pack();
  archive.entry({ name, mtime: new Date(0), mode: 0o644, uid: 0, gid: 0 }, content);
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of archive) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function put(store: Store, mediaType: string, bytes: Uint8Array) {
  const desc = { mediaType, digest: computeDigest(bytes), size: bytes.byteLength };
  await store.push(desc, bytes);
  return desc;
}

async function pushVariant(store: Store, v: Variant) {
  const tar = await tarOf("etc/ocicompat-demo", `${v.name}\n`);
  const layer = await put(store, MediaType.ImageLayerGzip, gzipSync(tar, { level: 9 }));
  // platform.features belong to the index entry (Proposal E); the config keeps os/arch/variant.
  const platform = {
    os: v.platform.os,
    architecture: v.platform.architecture,
    ...(v.platform.variant ? { variant: v.platform.variant } : {}),
  };
  const config = await put(
    store,
    MediaType.ImageConfig,
    Buffer.from(
      JSON.stringify({
        created: CREATED,
        ...platform,
        config: { Cmd: ["/bin/sh"] },
        rootfs: { type: "layers", diff_ids: [computeDigest(tar)] },
      }),
    ),
  );
  const manifest = await put(
    store,
    MediaType.ImageManifest,
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ImageManifest,
        config,
        layers: [layer],
        annotations: { "org.opencontainers.image.title": v.name },
      }),
    ),
  );
  return { ...manifest, platform: v.platform };
}

export async function buildDemo(dir = DEMO_LAYOUT): Promise<void> {
  rmSync(dir, { recursive: true, force: true });
  const store = await openLayout(dir, { create: true });
  const manifests = [];
  for (const v of VARIANTS) manifests.push(await pushVariant(store, v));
  const index = await put(
    store,
    MediaType.ImageIndex,
    Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ImageIndex, manifests }, null, 2),
    ),
  );
  await store.tag(index, "plain");
  await store.tag(index, "demo");
  const target = `oci:${dir}:demo`;
  await attachFile(target, "examples/compat-v3.yaml", {
    platform: "linux/amd64/v3",
    created: CREATED,
  });
  await attachFile(target, "examples/compat-avx512.yaml", {
    platform: "linux/amd64/v4",
    format: "blob",
    created: CREATED,
  });
}

if (process.argv[1]?.endsWith("build-demo.ts")) {
  await buildDemo();
  console.log(`wrote ${DEMO_LAYOUT} (tags: plain, demo)`);
}
