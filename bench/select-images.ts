// Images for the select benchmarks: the demo (4 entries) and a wide index of N entries, as a
// build matrix publishes it (one manifest per platform × variant × flavour), with a few shared
// compatibilities documents, both Proposal I manifests and Proposal J blobs. Every entry names its
// platform in the index, so a warm select reads nothing per entry: what it costs per entry is
// local work only.
import { MediaType } from "../src/oci/media-types.js";
import { blob, type Blob } from "../test/content/layout-support.js";
import {
  compatBlob,
  compatManifest,
  indexBlob,
  type CompatContent,
  type IndexEntrySpec,
} from "../test/ops/select-support.js";

export interface WideImage {
  index: Blob;
  /** Children first, the index last. */
  blobs: Blob[];
}

const PLATFORMS: Record<string, unknown>[] = [
  { os: "linux", architecture: "amd64" },
  { os: "linux", architecture: "amd64", variant: "v2" },
  { os: "linux", architecture: "amd64", variant: "v3", features: ["avx2", "bmi2"] },
  { os: "linux", architecture: "amd64", variant: "v4" },
  { os: "linux", architecture: "arm64" },
  { os: "linux", architecture: "arm64", variant: "v8.2" },
  { os: "linux", architecture: "ppc64le" },
  { os: "linux", architecture: "s390x" },
];

/** An index of `entries` distinct image manifests sharing one config and layer. */
export function wideImage(entries: number): WideImage {
  const layer = blob(MediaType.ImageLayerGzip, Buffer.from("wide-image-layer"));
  const config = blob(
    MediaType.ImageConfig,
    JSON.stringify({ os: "linux", architecture: "amd64", rootfs: { type: "layers" } }),
  );
  const compat: CompatContent[] = [];
  for (let i = 0; i < 4; i++) {
    compat.push(
      compatManifest(
        [
          { "oci.cpu.features": "AVX2, BMI2", "oci.kernel.version": `>=5.${i}`, score: i },
          { "oci.os.glibc": `>=2.${30 + i}`, "oci.cpu.vendor": "GenuineIntel|AuthenticAMD" },
        ],
        { os: "linux", architecture: "amd64", variant: "v3" },
      ),
      compatBlob([{ "oci.cpu.vendor": "GenuineIntel", "oci.os.glibc": `>=2.${20 + i}` }]),
    );
  }
  const manifests: Blob[] = [];
  const specs: IndexEntrySpec[] = [];
  for (let i = 0; i < entries; i++) {
    const manifest = blob(
      MediaType.ImageManifest,
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ImageManifest,
        config: config.desc,
        layers: [layer.desc],
        annotations: { "org.example.flavour": String(i) },
      }),
    );
    manifests.push(manifest);
    const platform: Record<string, unknown> = { ...PLATFORMS[i % PLATFORMS.length]! };
    // Four in five entries carry compatibilities, alternately Proposal I and J.
    if (i % 5 !== 0) {
      const c = compat[i % compat.length]!;
      platform[
        c.descriptor.mediaType === MediaType.Compatibilities ? "compat" : "compatibilities"
      ] = c.descriptor;
    }
    specs.push({
      descriptor: manifest.desc,
      platform,
      annotations: { "org.opencontainers.image.ref.name": `flavour-${i}` },
    });
  }
  const index = indexBlob(specs);
  return { index, blobs: [layer, config, ...manifests, ...compat.flatMap((c) => c.blobs), index] };
}
