// Content the copy benches push: pseudo-random layers (AES-CTR over zeros, so incompressible and
// the same on every run for a seed) and JSON documents with their descriptors.
import { createCipheriv, createHash } from "node:crypto";
import type { Store } from "../src/content/store.js";
import { computeDigest } from "../src/oci/digest.js";
import { MediaType } from "../src/oci/media-types.js";

const CHUNK = 1024 * 1024;

/** `total` pseudo-random bytes from `seed`, in 1 MiB chunks. */
export async function* pseudoRandomBytes(seed: number, total: number): AsyncIterable<Uint8Array> {
  const cipher = createCipheriv("aes-256-ctr", Buffer.alloc(32, seed), Buffer.alloc(16, 1));
  const zeros = Buffer.alloc(CHUNK);
  for (let done = 0; done < total; done += CHUNK)
    yield cipher.update(zeros.subarray(0, Math.min(CHUNK, total - done)));
}

/** A layer of `size` pseudo-random bytes from `seed` (read once to hash it). */
export async function randomLayer(
  seed: number,
  size: number,
): Promise<{ mediaType: string; digest: string; size: number }> {
  const hash = createHash("sha256");
  for await (const chunk of pseudoRandomBytes(seed, size)) hash.update(chunk);
  return { mediaType: MediaType.ImageLayerGzip, digest: `sha256:${hash.digest("hex")}`, size };
}

/** A JSON document's bytes and descriptor. */
export function jsonBlob(mediaType: string, value: unknown) {
  const bytes = Buffer.from(JSON.stringify(value));
  return { desc: { mediaType, digest: computeDigest(bytes), size: bytes.byteLength }, bytes };
}

/**
 * Pushes a one-platform image manifest whose layers (one per size, seeds `seed`, `seed + 1`, ...)
 * are pseudo-random bytes, with its config; returns the manifest's descriptor.
 */
export async function pushRandomManifest(
  store: Store,
  seed: number,
  sizes: readonly number[],
  architecture = "amd64",
): Promise<{ mediaType: string; digest: string; size: number }> {
  const layers = [];
  for (const [i, size] of sizes.entries()) {
    const layer = await randomLayer(seed + i, size);
    await store.push(layer, pseudoRandomBytes(seed + i, size));
    layers.push(layer);
  }
  const config = jsonBlob(MediaType.ImageConfig, {
    architecture,
    os: "linux",
    rootfs: { type: "layers", diff_ids: layers.map((l) => l.digest) },
    seed,
  });
  await store.push(config.desc, config.bytes);
  const manifest = jsonBlob(MediaType.ImageManifest, {
    schemaVersion: 2,
    mediaType: MediaType.ImageManifest,
    config: config.desc,
    layers,
  });
  await store.push(manifest.desc, manifest.bytes);
  return manifest.desc;
}

/** pushRandomManifest for amd64, tagged `tag`. */
export async function pushRandomImage(
  store: Store,
  seed: number,
  sizes: readonly number[],
  tag: string,
): Promise<void> {
  await store.tag(await pushRandomManifest(store, seed, sizes), tag);
}
