// Shared by the attach/detach tests: pushing the sample image, compat files, reading content back.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { copyGraph } from "../../src/content/copy.js";
import { createMemoryStore } from "../../src/content/memory.js";
import { createRegistryStore, type RegistryStore } from "../../src/content/registry/index.js";
import { readAll, type ContentDescriptor, type Store } from "../../src/content/store.js";
import { parseIJson } from "../../src/oci/ijson.js";
import { EmptyDescriptor, MediaType } from "../../src/oci/media-types.js";
import { fallbackTag, type AnchorPolicy } from "../../src/ops/anchors.js";
import { attach } from "../../src/ops/attach.js";
import { blob, pushAll, sampleImage, type SampleImage } from "../content/layout-support.js";

export type Json = Record<string, unknown>;

/** One compatibility set, for tests where its content does not matter. */
export const SETS = [{ "oci.cpu.features": "AVX2" }];

/** A fixed `created` time, so that written documents do not depend on the clock. */
export const CREATED = "2026-02-01T10:00:00Z";

export const AUTHORING_YAML = `# written by hand
compatibilities:
  - oci.cpu.vendor: "GenuineIntel|AuthenticAMD"
    oci.cpu.features: "AVX2, BMI2"
    oci.os.glibc: ">=2.31"
    description: "x86-64-v3 with glibc 2.31+"
    score: 5
`;

export const SECOND_YAML = `compatibilities:
  - oci.cpu.features: "AVX512F"
    description: "AVX-512"
`;

export function writeFile(dir: string, name: string, content: string): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

/** The sample image (two platforms) pushed to `repository` under `tag`. */
export async function pushSample(
  host: string,
  repository: string,
  tag: string,
  label = repository,
): Promise<SampleImage> {
  const image = sampleImage(label);
  const src = createMemoryStore();
  await pushAll(src, image.blobs);
  const dst = createRegistryStore({ registry: host, repository });
  try {
    await copyGraph(src, dst, image.index.desc, { tag });
  } finally {
    await dst.close();
  }
  return image;
}

/**
 * The sample image (two platforms) pushed to `repository:v1` on `host`, both entries attached with
 * `anchor` straight to the registry; with its two image manifests' digests.
 */
export async function attachedSample(
  host: string,
  repository: string,
  anchor: AnchorPolicy = "auto",
): Promise<{ image: SampleImage; first: string; second: string }> {
  const image = await pushSample(host, repository, "v1");
  const direct = registryStore(host, repository);
  try {
    await attach(direct, "v1", { sets: SETS, all: true, created: CREATED, anchor });
  } finally {
    await direct.close();
  }
  const [first, second] = image.manifests.map((m) => m.desc.digest) as [string, string];
  return { image, first, second };
}

export function registryStore(
  host: string,
  repository: string,
  onRequest?: (method: string, url: string) => void,
): RegistryStore {
  return createRegistryStore({
    registry: host,
    repository,
    ...(onRequest === undefined ? {} : { onRequest }),
  });
}

export async function bytesOf(store: Store, desc: ContentDescriptor): Promise<Uint8Array> {
  return readAll(await store.fetch(desc), 16 * 1024 * 1024);
}

export async function jsonOf(store: Store, desc: ContentDescriptor): Promise<Json> {
  return parseIJson(await bytesOf(store, desc)).value as Json;
}

/** The document a tag names, with its descriptor. */
export async function tagged(
  store: Store,
  tag: string,
): Promise<{ desc: ContentDescriptor; bytes: Uint8Array; doc: Json }> {
  const desc = await store.resolve(tag);
  const bytes = await bytesOf(store, desc);
  return { desc, bytes, doc: parseIJson(bytes).value as Json };
}

export function entries(index: Json): Json[] {
  return index["manifests"] as Json[];
}

export function platformOf(entry: Json | undefined): Json {
  return (entry?.["platform"] ?? {}) as Json;
}

/** The mediaType, digest and size of a descriptor (or index entry) read from JSON. */
export function descriptorOf(d: unknown): { mediaType: string; digest: string; size: number } {
  const x = d as Json;
  return {
    mediaType: x["mediaType"] as string,
    digest: x["digest"] as string,
    size: x["size"] as number,
  };
}

/**
 * The write requests of a request log (`PUT /v2/.../manifests/x`), without query strings, upload
 * sessions as `ID`.
 */
export function writesOf(log: readonly string[]): string[] {
  return log
    .filter((l) => /^(PUT|POST|PATCH|DELETE) /.test(l))
    .map((l) => l.replace(/\?.*$/, "").replace(/\/blobs\/uploads\/.+$/, "/blobs/uploads/ID"));
}

const SIGSTORE_BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json";

/**
 * A signature of `subject` (a sigstore-bundle artifact) in `store`, listed in the subject's
 * referrers fallback index `sha256-<hex>`, as cosign leaves it on a registry without the
 * referrers API. Returns the signature's descriptor.
 */
export async function pushListedSignature(
  store: RegistryStore,
  subject: ContentDescriptor,
): Promise<ContentDescriptor> {
  const empty = blob(MediaType.Empty, "{}");
  await store.push(empty.desc, empty.bytes);
  const signature = blob(
    MediaType.ImageManifest,
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ImageManifest,
      artifactType: SIGSTORE_BUNDLE,
      config: EmptyDescriptor,
      layers: [{ mediaType: EmptyDescriptor.mediaType, digest: EmptyDescriptor.digest, size: 2 }],
      subject,
    }),
  );
  await store.pushManifest(signature.desc, signature.bytes);
  const listing = blob(
    MediaType.ImageIndex,
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ImageIndex,
      manifests: [{ ...signature.desc, artifactType: SIGSTORE_BUNDLE }],
    }),
  );
  await store.pushManifest(listing.desc, listing.bytes, fallbackTag(subject.digest));
  return signature.desc;
}
