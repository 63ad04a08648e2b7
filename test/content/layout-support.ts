// Test support for the layout, archive and memory store tests: a small multi-platform image built
// in memory (two configs, two gzipped tar layers, two manifests, an index), helpers to push it
// to a store (or write it to an archive) and to check that a store holds all of it, and fresh
// layout directories and archive paths to test in.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { computeDigest } from "../../src/oci/digest.js";
import { MediaType } from "../../src/oci/media-types.js";
import { openArchive } from "../../src/content/archive.js";
import { openLayout, type LayoutStore } from "../../src/content/layout.js";
import type { ContentDescriptor, MountCapable, Store } from "../../src/content/store.js";
import { readAll } from "../../src/content/store.js";

export interface Blob {
  desc: ContentDescriptor;
  bytes: Buffer;
}

export interface SampleImage {
  /** Children before parents: configs, layers, manifests, index. */
  blobs: Blob[];
  index: Blob;
  manifests: Blob[];
}

export function blob(mediaType: string, bytes: Buffer | string): Blob {
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
  return { desc: { mediaType, digest: computeDigest(b), size: b.byteLength }, bytes: b };
}

/** A one-file ustar archive, gzipped deterministically: a real layer skopeo will not recompress. */
export function tarLayer(fileName: string, content: string): Buffer {
  const data = Buffer.from(content);
  const header = Buffer.alloc(512);
  header.write(fileName, 0);
  header.write("0000644\0", 100);
  header.write("0000000\0", 108);
  header.write("0000000\0", 116);
  header.write(`${data.byteLength.toString(8).padStart(11, "0")}\0`, 124);
  header.write("00000000000\0", 136);
  header.write("        ", 148);
  header.write("0", 156);
  header.write("ustar\0", 257);
  header.write("00", 263);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
  const padding = Buffer.alloc((512 - (data.byteLength % 512)) % 512);
  const tar = Buffer.concat([header, data, padding, Buffer.alloc(1024)]);
  return gzipSync(tar, { level: 9 });
}

export function sampleImage(label = "app"): SampleImage {
  const platforms = [
    { os: "linux", architecture: "amd64" },
    { os: "linux", architecture: "arm64", variant: "v8" },
  ];
  const blobs: Blob[] = [];
  const manifests: Blob[] = [];
  for (const platform of platforms) {
    const layerBytes = tarLayer("hello.txt", `${label} for ${platform.architecture}\n`);
    const layer = blob(MediaType.ImageLayerGzip, layerBytes);
    const config = blob(
      MediaType.ImageConfig,
      JSON.stringify({
        ...platform,
        config: { Cmd: ["/hello"] },
        rootfs: { type: "layers", diff_ids: [computeDigest(gunzipSync(layerBytes))] },
      }),
    );
    const manifest = blob(
      MediaType.ImageManifest,
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ImageManifest,
        config: config.desc,
        layers: [layer.desc],
      }),
    );
    blobs.push(config, layer);
    manifests.push(manifest);
  }
  const index = blob(
    MediaType.ImageIndex,
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ImageIndex,
      manifests: manifests.map((m, i) => ({ ...m.desc, platform: platforms[i] })),
    }),
  );
  return { blobs: [...blobs, ...manifests, index], index, manifests };
}

/**
 * `store` with `change` applied over its methods (each bound to the store, so a class's private
 * fields keep working): a store whose one call fails or is watched.
 */
export function storeWith(store: Store, change: Partial<Store> & Partial<MountCapable>): Store {
  return {
    name: store.name,
    resolve: (r, o) => store.resolve(r, o),
    fetch: (d, o) => store.fetch(d, o),
    exists: (d, o) => store.exists(d, o),
    push: (d, b, o) => store.push(d, b, o),
    tag: (d, t, o) => store.tag(d, t, o),
    listTags: (o) => store.listTags(o),
    ...change,
  } as Store;
}

export async function pushAll(store: Store, blobs: readonly Blob[]): Promise<void> {
  for (const b of blobs) await store.push(b.desc, b.bytes);
}

export async function fetchAll(store: Store, desc: ContentDescriptor): Promise<Buffer> {
  return Buffer.from(await readAll(await store.fetch(desc), Number.MAX_SAFE_INTEGER));
}

/** Asserts the store holds every blob of `image` with the same bytes. */
export async function assertHolds(store: Store, image: SampleImage): Promise<void> {
  for (const b of image.blobs) {
    assert.equal(await store.exists(b.desc), true, `${b.desc.digest} exists`);
    assert.deepEqual(await fetchAll(store, b.desc), b.bytes, `${b.desc.digest} bytes`);
  }
}

/** Rejects with an OcicompatError of `code` whose message matches `message`. */
export async function rejectsWith(
  promise: Promise<unknown> | (() => Promise<unknown>),
  code: string,
  message?: RegExp,
): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    const e = err as { code?: unknown; message?: unknown };
    assert.equal(e.code, code, `code of: ${String(e.message)}`);
    if (message) assert.match(String(e.message), message);
    return true;
  });
}

export function tempDir(prefix = "ocicompat-test-"): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** The index.json of a layout just created, byte for byte. */
export const EMPTY_INDEX =
  '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}';

/**
 * A scratch directory for the layout tests: `freshDir` names a new, not yet existing directory
 * in it, `newLayout` creates a layout there. The caller removes it, as `after(remove)`.
 */
export function layoutScratch(prefix = "ocicompat-layout-"): {
  freshDir: () => string;
  newLayout: () => Promise<LayoutStore>;
  remove: () => void;
} {
  const scratch = tempDir(prefix);
  let counter = 0;
  const freshDir = (): string => join(scratch.path, `l${counter++}`);
  const newLayout = (): Promise<LayoutStore> => openLayout(freshDir(), { create: true });
  return { freshDir, newLayout, remove: scratch.remove };
}

/**
 * A scratch directory for the archive tests: `fresh` gives a path for an archive in a new, empty
 * directory of its own, `workArea` a new directory for an archive's working copy (so a test can
 * see that it is cleaned up). The caller removes it, as `after(remove)`.
 */
export function archiveScratch(prefix = "ocicompat-archive-"): {
  path: string;
  fresh: (name?: string) => string;
  workArea: () => string;
  remove: () => void;
} {
  const scratch = tempDir(prefix);
  let counter = 0;
  const fresh = (name = "image.tar"): string => {
    const dir = join(scratch.path, `a${counter++}`);
    mkdirSync(dir);
    return join(dir, name);
  };
  const workArea = (): string => {
    const dir = join(scratch.path, `w${counter++}`);
    mkdirSync(dir);
    return dir;
  };
  return { path: scratch.path, fresh, workArea, remove: scratch.remove };
}

/** Writes `image` to a new archive at `file`, its index tagged `tag`. */
export async function writeImageArchive(
  file: string,
  image = sampleImage(),
  tag = "v1",
): Promise<SampleImage> {
  const store = await openArchive(file, { create: true });
  try {
    await pushAll(store, image.blobs);
    await store.tag(image.index.desc, tag);
  } finally {
    await store.close();
  }
  return image;
}

export function skopeo(...args: string[]): string {
  const result = spawnSync("skopeo", ["--insecure-policy", ...args], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    throw new Error(`skopeo ${args.join(" ")} failed (${result.status}): ${result.stderr}`);
  }
  return result.stdout;
}

export const emptyBlob = blob(MediaType.Empty, "{}");

/** A signature/SBOM-style manifest whose `subject` is `subject`. Push `emptyBlob` with it. */
export function referrer(
  subject: Blob,
  fields: { artifactType?: string; configType?: string; annotations?: Record<string, string> },
): Blob {
  return blob(
    MediaType.ImageManifest,
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ImageManifest,
      ...(fields.artifactType === undefined ? {} : { artifactType: fields.artifactType }),
      config: { ...emptyBlob.desc, mediaType: fields.configType ?? MediaType.Empty },
      layers: [emptyBlob.desc],
      subject: subject.desc,
      ...(fields.annotations === undefined ? {} : { annotations: fields.annotations }),
    }),
  );
}

/** Adds untagged index.json entries to a layout, as `oras attach` does. */
export function addUntagged(layoutDir: string, ...entries: Blob[]): void {
  const path = join(layoutDir, "index.json");
  const index = JSON.parse(readFileSync(path, "utf8")) as { manifests: unknown[] };
  index.manifests.push(...entries.map((e) => e.desc));
  writeFileSync(path, JSON.stringify(index));
}

/**
 * A layout at `dir` holding the sample image tagged v1 and, for its first manifest, a signature
 * listed in index.json the way `oras attach` leaves it.
 */
export async function layoutWithSignedImage(dir: string, label: string, subjectAt = 0) {
  const image = sampleImage(label);
  const src = await openLayout(dir, { create: true });
  await pushAll(src, [...image.blobs, emptyBlob]);
  await src.tag(image.index.desc, "v1");
  const subject = image.manifests[subjectAt]!;
  const sig = referrer(subject, { artifactType: "application/vnd.example.sig" });
  await pushAll(src, [sig]);
  addUntagged(dir, sig);
  return { image, src, subject, sig };
}

/**
 * A crafted graph over the sample image: A lists manifest M's bytes as a layer, B (an index)
 * lists M as a manifest, and the root lists A and B in the order asked for. M's digest is thus
 * met as a plain blob or as a manifest first.
 */
export function bothWaysGraph(image: SampleImage, blobFirst: boolean) {
  const m = image.manifests[0]!;
  const a = blob(
    MediaType.ImageManifest,
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ImageManifest,
      config: emptyBlob.desc,
      layers: [{ ...m.desc, mediaType: MediaType.ImageLayerGzip }],
    }),
  );
  const b = blob(
    MediaType.ImageIndex,
    JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ImageIndex, manifests: [m.desc] }),
  );
  const root = blob(
    MediaType.ImageIndex,
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ImageIndex,
      manifests: blobFirst ? [b.desc, a.desc] : [a.desc, b.desc],
    }),
  );
  return { m, extra: [emptyBlob, a, b, root], root };
}
