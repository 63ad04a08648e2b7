// Test support for the mirror: the image (linux/amd64, linux/amd64/v3 with Proposal I
// compatibilities, linux/arm64), node profiles, a mirror started in process, and raw HTTP.
import { createCatalog } from "../../../src/compat/catalog.js";
import type { NodeProfile } from "../../../src/compat/node-profile.js";
import { loadNodeProfile } from "../../../src/node/profile-file.js";
import {
  startMirror,
  type MirrorOptions,
  type RunningMirror,
} from "../../../src/ops/mirror/server.js";
import type { Blob } from "../../content/layout-support.js";
import {
  compatManifest,
  indexBlob,
  setsOf,
  variantImage,
  type Variant,
} from "../select-support.js";

export const catalog = createCatalog();

export interface LevelsImage {
  index: Blob;
  blobs: Blob[];
  baseline: Variant;
  v3: Variant;
  arm64: Variant;
}

/** linux/amd64, linux/amd64/v3 (with compatibilities: AVX2, BMI2, FMA, kernel, glibc), linux/arm64. */
export function levelsImage(label: string): LevelsImage {
  const baseline = variantImage(`${label} amd64 baseline`, { os: "linux", architecture: "amd64" });
  const v3 = variantImage(`${label} amd64 v3`, {
    os: "linux",
    architecture: "amd64",
    variant: "v3",
  });
  const arm64 = variantImage(`${label} arm64`, { os: "linux", architecture: "arm64" });
  const compat = compatManifest(setsOf("examples/compat-v3.yaml"), {
    os: "linux",
    architecture: "amd64",
    variant: "v3",
  });
  const index = indexBlob([
    { descriptor: baseline.manifest.desc, platform: { os: "linux", architecture: "amd64" } },
    {
      descriptor: v3.manifest.desc,
      platform: {
        os: "linux",
        architecture: "amd64",
        variant: "v3",
        compatibilities: compat.descriptor,
      },
    },
    { descriptor: arm64.manifest.desc, platform: { os: "linux", architecture: "arm64" } },
  ]);
  return {
    index,
    blobs: [...baseline.blobs, ...v3.blobs, ...arm64.blobs, ...compat.blobs, index],
    baseline,
    v3,
    arm64,
  };
}

export function profile(name: "intel-spr" | "old-xeon" | "amd-genoa"): Promise<NodeProfile> {
  return loadNodeProfile(`examples/nodes/${name}.json`, catalog);
}

export const s390xNode: NodeProfile = {
  schemaVersion: 1,
  name: "mainframe",
  platform: { os: "linux", architecture: "s390x" },
  labels: {},
};

export interface TestMirror extends RunningMirror {
  lines: Record<string, unknown>[];
}

export async function mirrorFor(
  upstreams: string[],
  node: NodeProfile | (() => Promise<NodeProfile>),
  options: Partial<MirrorOptions> = {},
): Promise<TestMirror> {
  const lines: Record<string, unknown>[] = [];
  const mirror = await startMirror({
    port: 0,
    upstreams,
    catalog,
    loadNode: typeof node === "function" ? node : () => Promise.resolve(node),
    log: (entry) => lines.push(entry),
    ...options,
  });
  return Object.assign(mirror, { lines });
}

export interface Answer {
  status: number;
  headers: Headers;
  bytes: Buffer;
  json(): unknown;
}

export async function get(
  url: string,
  init: { method?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const res = await fetch(url, { method: init.method ?? "GET", headers: init.headers ?? {} });
  const bytes = Buffer.from(await res.arrayBuffer());
  return {
    status: res.status,
    headers: res.headers,
    bytes,
    json: () => JSON.parse(bytes.toString("utf8")) as unknown,
  };
}

export const OCI_ACCEPT = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");
