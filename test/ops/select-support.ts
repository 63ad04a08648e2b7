// Test support for select/check: real images (config, gzipped tar layer, manifest) built in memory,
// indexes like the bundled demo (generic amd64, amd64/v3 with a Proposal I compat manifest,
// amd64/v4 with a Proposal J blob, arm64), pushing them to a registry, and a loopback counting
// proxy in front of the real registry, so tests can count the requests a command makes.
import { readFileSync } from "node:fs";
import { createServer, request, type IncomingMessage, type Server } from "node:http";
import { spawn } from "node:child_process";
import { gunzipSync } from "node:zlib";
import { buildCompatBlob, buildCompatConfig, buildCompatManifest } from "../../src/compat/build.js";
import { parseYaml } from "../../src/compat/yaml.js";
import { copyGraph } from "../../src/content/copy.js";
import { createMemoryStore } from "../../src/content/memory.js";
import { createRegistryStore } from "../../src/content/registry/index.js";
import type { ContentDescriptor, Store } from "../../src/content/store.js";
import { computeDigest } from "../../src/oci/digest.js";
import { MediaType } from "../../src/oci/media-types.js";
import { blob, pushAll, tarLayer, type Blob } from "../content/layout-support.js";
import { isolatedEnv } from "../support/cli-env.js";

export interface Variant {
  /** The image manifest. */
  manifest: Blob;
  /** Config, layer and manifest, children first. */
  blobs: Blob[];
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  features?: string[];
  "os.features"?: string[];
}

/** A runnable image for one platform: a config, one gzipped tar layer, a manifest. */
export function variantImage(label: string, platform: Platform): Variant {
  const layerBytes = tarLayer("hello.txt", `${label}\n`);
  const layer = blob(MediaType.ImageLayerGzip, layerBytes);
  const config = blob(
    MediaType.ImageConfig,
    JSON.stringify({
      os: platform.os,
      architecture: platform.architecture,
      ...(platform.variant ? { variant: platform.variant } : {}),
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
  return { manifest, blobs: [config, layer, manifest] };
}

export interface CompatContent {
  descriptor: ContentDescriptor;
  blobs: Blob[];
}

export function setsOf(file: string): Record<string, unknown>[] {
  const doc = parseYaml(readFileSync(file, "utf8"), file) as {
    compatibilities: Record<string, unknown>[];
  };
  return doc.compatibilities;
}

const CREATED = "2026-01-01T00:00:00Z";

/** A Proposal I compatibilities manifest (with its config and the empty layer). */
export function compatManifest(
  sets: readonly Record<string, unknown>[],
  platform: { os: string; architecture: string; variant?: string },
): CompatContent {
  const config = buildCompatConfig(sets, platform, CREATED);
  const manifest = buildCompatManifest(config.descriptor, { created: CREATED });
  return {
    descriptor: manifest.descriptor,
    blobs: [
      blob(MediaType.Empty, "{}"),
      { desc: config.descriptor, bytes: Buffer.from(config.bytes) },
      { desc: manifest.descriptor, bytes: Buffer.from(manifest.bytes) },
    ],
  };
}

/** A Proposal J compatibilities blob. */
export function compatBlob(sets: readonly Record<string, unknown>[]): CompatContent {
  const built = buildCompatBlob(sets);
  return {
    descriptor: built.descriptor,
    blobs: [{ desc: built.descriptor, bytes: Buffer.from(built.bytes) }],
  };
}

export interface IndexEntrySpec {
  descriptor: ContentDescriptor;
  platform?: Record<string, unknown>;
  annotations?: Record<string, string>;
}

export function indexBlob(
  entries: readonly IndexEntrySpec[],
  mediaType: string = MediaType.ImageIndex,
): Blob {
  return blob(
    mediaType,
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      manifests: entries.map((e) => ({
        mediaType: e.descriptor.mediaType,
        digest: e.descriptor.digest,
        size: e.descriptor.size,
        ...(e.descriptor.artifactType ? { artifactType: e.descriptor.artifactType } : {}),
        ...(e.annotations ? { annotations: e.annotations } : {}),
        ...(e.platform ? { platform: e.platform } : {}),
      })),
    }),
  );
}

/**
 * A generic amd64 image and an amd64/v3 one whose compatibilities descriptor names a manifest
 * that is never pushed (`ghost`): the dangling case. `blobs` holds everything else, index last.
 */
export function danglingCompatImage(label: string): {
  generic: Variant;
  ghost: ContentDescriptor;
  index: Blob;
  blobs: Blob[];
} {
  const generic = variantImage(`${label} generic`, { os: "linux", architecture: "amd64" });
  const tuned = variantImage(`${label} tuned`, {
    os: "linux",
    architecture: "amd64",
    variant: "v3",
  });
  const ghost = compatManifest([{ "oci.cpu.features": "AVX2" }], {
    os: "linux",
    architecture: "amd64",
  }).descriptor;
  const index = indexBlob([
    { descriptor: generic.manifest.desc, platform: { os: "linux", architecture: "amd64" } },
    {
      descriptor: tuned.manifest.desc,
      platform: { os: "linux", architecture: "amd64", variant: "v3", compatibilities: ghost },
    },
  ]);
  return { generic, ghost, index, blobs: [...generic.blobs, ...tuned.blobs, index] };
}

export interface DemoImage {
  index: Blob;
  /** Everything, children before parents, the index last. */
  blobs: Blob[];
  generic: Variant;
  v3: Variant;
  avx512: Variant;
  arm64: Variant;
  v3Compat: CompatContent;
  avx512Compat: CompatContent;
}

/** The demo's four variants, with real images and the example compatibilities. */
export function demoImage(label = "demo"): DemoImage {
  const generic = variantImage(`${label} generic amd64`, { os: "linux", architecture: "amd64" });
  const v3 = variantImage(`${label} amd64 v3`, {
    os: "linux",
    architecture: "amd64",
    variant: "v3",
  });
  const avx512 = variantImage(`${label} amd64 avx512`, {
    os: "linux",
    architecture: "amd64",
    variant: "v4",
  });
  const arm64 = variantImage(`${label} arm64`, { os: "linux", architecture: "arm64" });
  const v3Compat = compatManifest(setsOf("examples/compat-v3.yaml"), {
    os: "linux",
    architecture: "amd64",
    variant: "v3",
  });
  const avx512Compat = compatBlob(setsOf("examples/compat-avx512.yaml"));
  const index = indexBlob([
    { descriptor: generic.manifest.desc, platform: { architecture: "amd64", os: "linux" } },
    {
      descriptor: v3.manifest.desc,
      platform: {
        architecture: "amd64",
        os: "linux",
        variant: "v3",
        features: ["avx2", "bmi2"],
        compatibilities: v3Compat.descriptor,
      },
    },
    {
      descriptor: avx512.manifest.desc,
      platform: {
        architecture: "amd64",
        os: "linux",
        variant: "v4",
        compat: avx512Compat.descriptor,
      },
    },
    { descriptor: arm64.manifest.desc, platform: { architecture: "arm64", os: "linux" } },
  ]);
  const blobs = [
    ...generic.blobs,
    ...v3.blobs,
    ...avx512.blobs,
    ...arm64.blobs,
    ...v3Compat.blobs,
    ...avx512Compat.blobs,
    index,
  ];
  return { index, blobs, generic, v3, avx512, arm64, v3Compat, avx512Compat };
}

/** Pushes `blobs` (children first) to a memory store and copies the graph of `root` to `dst`. */
export async function pushGraph(
  dst: Store,
  blobs: readonly Blob[],
  root: ContentDescriptor,
  tag: string,
): Promise<void> {
  const src = createMemoryStore();
  await pushAll(src, blobs);
  await copyGraph(src, dst, root, { tag });
}

/** Pushes an image to `host/repository:tag` of a registry. */
export async function pushToRegistry(
  host: string,
  repository: string,
  blobs: readonly Blob[],
  root: ContentDescriptor,
  tag: string,
): Promise<void> {
  const store = createRegistryStore({ registry: host, repository });
  try {
    await pushGraph(store, blobs, root, tag);
  } finally {
    await store.close();
  }
}

/**
 * Pushes blobs one by one and tags the root, without walking the graph: for indexes whose
 * compatibilities descriptor dangles on purpose (distribution 2.8 accepts them).
 */
export async function pushRaw(
  host: string,
  repository: string,
  blobs: readonly Blob[],
  root: ContentDescriptor,
  tag: string,
): Promise<void> {
  const store = createRegistryStore({ registry: host, repository });
  try {
    await pushAll(store, blobs);
    await store.tag(root, tag);
  } finally {
    await store.close();
  }
}

export interface CountingProxy {
  /** `127.0.0.1:PORT`, to use in references instead of the registry's host. */
  host: string;
  /** `METHOD path` of every request since the last reset, in arrival order. */
  requests: string[];
  reset(): void;
  close(): Promise<void>;
}

/**
 * A loopback reverse proxy that forwards every request to `target` (`host:port`) and records it.
 * It counts what reaches the registry, whatever the client: this process or a spawned CLI.
 */
export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const [targetHost, targetPort] = target.split(":") as [string, string];
  const requests: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    requests.push(`${req.method ?? "?"} ${req.url ?? ""}`);
    const upstream = request(
      {
        host: targetHost,
        port: Number(targetPort),
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    host: `127.0.0.1:${port}`,
    requests,
    reset: () => void requests.splice(0),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface AsyncCliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built CLI without blocking this process's event loop, so an in-process proxy or
 * server keeps answering while the CLI runs.
 */
export function runCliAsync(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<AsyncCliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["bin/ocicompat.js", ...args], {
      env: { ...process.env, NO_COLOR: "1", ...isolatedEnv(env) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", reject);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** Issue #12.3's hostile images, pushed by the tests and by scripts/measure-select-budgets.ts. */
export interface HostileImage {
  index: Blob;
  blobs: Blob[];
}

/** One amd64 entry whose `platform.features` is a list of about `bytes` bytes (100k features). */
export function featuresBombImage(bytes = 1_000_000): HostileImage {
  const image = variantImage("features bomb", { os: "linux", architecture: "amd64" });
  const features: string[] = [];
  for (let size = 0, i = 0; size < bytes; i++) {
    const name = `feature${i}`;
    features.push(name);
    size += name.length + 3;
  }
  const index = indexBlob([
    {
      descriptor: image.manifest.desc,
      platform: { os: "linux", architecture: "amd64", features },
    },
  ]);
  return { index, blobs: [...image.blobs, index] };
}

/**
 * `entries` amd64 entries, each with its own Proposal J blob of about `bytes` bytes: sets of
 * labels whose values list many alternatives, all valid, under the 4 MiB limit per document.
 */
export function compatFloodImage(entries = 8, bytes = 3_900_000): HostileImage {
  const blobs: Blob[] = [];
  const specs: IndexEntrySpec[] = [];
  for (let e = 0; e < entries; e++) {
    const image = variantImage(`compat flood ${e}`, { os: "linux", architecture: "amd64" });
    const sets: Record<string, unknown>[] = [];
    for (let size = 0, s = 0; size < bytes; s++) {
      const alternatives = Array.from({ length: 200 }, (_, a) => `F${e}X${s}Y${a}`).join("|");
      const set = { "oci.cpu.features": alternatives, "oci.cpu.vendor": `Vendor${s}` };
      sets.push(set);
      size += JSON.stringify(set).length + 1;
    }
    const compat = compatBlob(sets);
    blobs.push(...image.blobs, ...compat.blobs);
    specs.push({
      descriptor: image.manifest.desc,
      platform: { os: "linux", architecture: "amd64", compat: compat.descriptor },
    });
  }
  const index = indexBlob(specs);
  return { index, blobs: [...blobs, index] };
}
