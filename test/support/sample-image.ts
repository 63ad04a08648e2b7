// A small multi-platform image whose index carries compatibilities both ways: a Proposal I
// compat manifest on entry 0 and a Proposal J blob on entry 1.
import { buildCompatBlob, buildCompatConfig, buildCompatManifest } from "../../src/compat/build.js";
import { MediaType } from "../../src/oci/media-types.js";
import { blob, sampleImage, type Blob } from "../content/layout-support.js";

/** The sample image with a Proposal I compat manifest on entry 0 and a Proposal J blob on entry 1. */
export function imageWithCompat(label = "copy") {
  const image = sampleImage(label);
  const created = "2026-01-01T00:00:00Z";
  const sets = [{ "oci.cpu.features": "AVX2" }];
  const config = buildCompatConfig(sets, { os: "linux", architecture: "amd64" }, created);
  const manifest = buildCompatManifest(config.descriptor, { created });
  const jblob = buildCompatBlob(sets);
  const index = JSON.parse(image.index.bytes.toString()) as {
    manifests: { platform?: Record<string, unknown> }[];
  };
  index.manifests[0]!.platform = {
    ...index.manifests[0]!.platform,
    compatibilities: manifest.descriptor,
  };
  index.manifests[1]!.platform = { ...index.manifests[1]!.platform, compat: jblob.descriptor };
  const newIndex = blob(MediaType.ImageIndex, JSON.stringify(index));
  const empty = blob(MediaType.Empty, "{}");
  const compat: Blob[] = [
    empty,
    { desc: config.descriptor, bytes: Buffer.from(config.bytes) },
    { desc: manifest.descriptor, bytes: Buffer.from(manifest.bytes) },
    { desc: jblob.descriptor, bytes: Buffer.from(jblob.bytes) },
  ];
  const blobs = [
    ...image.blobs.filter((b) => b.desc.digest !== image.index.desc.digest),
    ...compat,
    newIndex,
  ];
  return { blobs, index: newIndex, compat };
}
