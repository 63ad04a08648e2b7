// copy and verify refuse what they cannot trust, and clean up after crashes (issue 12), from the
// command line against layouts and the real registry (distribution 2.8, the Debian package):
//   * an invalid document (a size that is a string, a malformed digest, an algorithm ocicompat
//     cannot verify, upper-case hex, a negative size, bad JSON) stops the copy with exit 2, the
//     digest of the document and the JSON path; a destination layout the copy created stays
//     absent;
//   * verify hashes a layout's blobs (wrong bytes of the right size: exit 1 naming the digest),
//     and a registry's only with --blobs, saying otherwise that blobs were checked for presence;
//   * copies killed with SIGKILL mid-transfer leave temp files that `gc --grace 0` removes once
//     their writer has stopped refreshing them, and that a re-run removes itself.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { copyGraph } from "../../src/content/copy.js";
import { openLayout } from "../../src/content/layout.js";
import { createMemoryStore } from "../../src/content/memory.js";
import { MediaType } from "../../src/oci/media-types.js";
import { blob, pushAll, sampleImage, tempDir, type Blob } from "../content/layout-support.js";
import { registryStore } from "../ops/attach-support.js";
import { startFaultProxy, type FaultProxy } from "../ops/copy-support.js";
import { runCliAsync } from "../ops/select-support.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import { hasStackTrace } from "./run-cli.js";

const work = tempDir("ocicompat-copy-trust-");
let registry: TestRegistry;

before(async () => {
  registry = await startRegistry();
});
after(async () => {
  await registry.stop();
  work.remove();
});

type Json = Record<string, unknown>;

const json = (mediaType: string, value: unknown): Blob => blob(mediaType, JSON.stringify(value));

/** A layout at `dir` holding `blobs`, with `top` tagged v1 (written into index.json directly). */
async function layoutWith(dir: string, blobs: readonly Blob[], top: Blob): Promise<void> {
  const store = await openLayout(dir, { create: true });
  await pushAll(store, blobs);
  await store.tag(top.desc, "v1");
}

/** The sample image with its index's first entry (or the document `edit` returns) changed. */
function invalidCases(): {
  name: string;
  blobs: Blob[];
  top: Blob;
  /** The document holding the bad descriptor, and the JSON path the error must name. */
  where: Blob;
  path: RegExp;
}[] {
  const image = sampleImage("trust");
  const index = JSON.parse(image.index.bytes.toString()) as { manifests: Json[] };
  const withEntry = (change: (entry: Json) => Json): Blob =>
    json(MediaType.ImageIndex, {
      ...index,
      manifests: [change(index.manifests[0]!), ...index.manifests.slice(1)],
    });
  const manifest = image.manifests[0]!;
  const manifestDoc = JSON.parse(manifest.bytes.toString()) as Json & { layers: Json[] };
  const badManifest = (
    change: (doc: typeof manifestDoc) => Json,
  ): { blobs: Blob[]; top: Blob; where: Blob } => {
    const edited = json(MediaType.ImageManifest, change(manifestDoc));
    const top = json(MediaType.ImageIndex, {
      ...index,
      manifests: [{ ...index.manifests[0], ...edited.desc }, ...index.manifests.slice(1)],
    });
    return { blobs: [...image.blobs, edited, top], top, where: edited };
  };
  const cases = [];
  const sizeString = withEntry((e) => ({ ...e, size: String(e["size"]) }));
  cases.push({
    name: 'an index entry with "size": "100"',
    blobs: [...image.blobs, sizeString],
    top: sizeString,
    where: sizeString,
    path: /\$\.manifests\[0\]\.size: must be a non-negative integer/,
  });
  const shortDigest = withEntry((e) => ({
    ...e,
    platform: {
      ...(e["platform"] as Json),
      compatibilities: { mediaType: MediaType.ImageManifest, digest: "sha256:abc", size: 10 },
    },
  }));
  cases.push({
    name: "a compat descriptor with the digest sha256:abc",
    blobs: [...image.blobs, shortDigest],
    top: shortDigest,
    where: shortDigest,
    path: /\$\.manifests\[0\]\.platform\.compatibilities\.digest/,
  });
  const md5 = withEntry((e) => ({
    ...e,
    platform: {
      ...(e["platform"] as Json),
      compat: { mediaType: MediaType.Compatibilities, digest: `md5:${"a".repeat(32)}`, size: 10 },
    },
  }));
  cases.push({
    name: "a compat descriptor with an md5 digest",
    blobs: [...image.blobs, md5],
    top: md5,
    where: md5,
    path: /\$\.manifests\[0\]\.platform\.compat\.digest/,
  });
  const upper = badManifest((d) => ({
    ...d,
    config: {
      ...(d["config"] as Json),
      digest: String((d["config"] as Json)["digest"])
        .toUpperCase()
        .replace("SHA256", "sha256"),
    },
  }));
  cases.push({ name: "a config digest in upper-case hex", ...upper, path: /\$\.config\.digest/ });
  const negative = badManifest((d) => ({ ...d, layers: [{ ...d.layers[0], size: -1 }] }));
  cases.push({ name: "a layer with size -1", ...negative, path: /\$\.layers\[0\]\.size/ });
  const notJson = blob(MediaType.ImageManifest, "{ not json");
  const notJsonTop = json(MediaType.ImageIndex, {
    ...index,
    manifests: [{ ...index.manifests[0], ...notJson.desc }, ...index.manifests.slice(1)],
  });
  cases.push({
    name: "a manifest that is not JSON",
    blobs: [...image.blobs, notJson, notJsonTop],
    top: notJsonTop,
    where: notJson,
    path: /not valid JSON/,
  });
  return cases;
}

describe("copy refuses invalid documents", () => {
  for (const c of invalidCases()) {
    test(`${c.name}: exit 2 naming the document and the JSON path (layout to layout)`, async () => {
      const src = join(work.path, `src-${c.where.desc.digest.slice(7, 19)}`);
      await layoutWith(src, c.blobs, c.top);
      const dst = join(work.path, `dst-${c.where.desc.digest.slice(7, 19)}`);
      const out = await runCliAsync(["copy", `oci:${src}:v1`, `oci:${dst}:v1`]);
      assert.equal(out.status, 2, out.stderr);
      assert.ok(!hasStackTrace(out.stderr), out.stderr);
      assert.match(out.stderr, new RegExp(c.where.desc.digest), "names the document");
      assert.match(out.stderr, c.path);
      assert.match(out.stderr, /source oci:/, "says the source failed");
      if (c.where === c.top) assert.equal(existsSync(dst), false, "no empty layout left behind");
    });
  }

  test("a registry index whose compat descriptor has a malformed digest: exit 2 with the path (registry to layout)", async () => {
    const image = sampleImage("trust-registry");
    const index = JSON.parse(image.index.bytes.toString()) as { manifests: Json[] };
    const bad = json(MediaType.ImageIndex, {
      ...index,
      manifests: index.manifests.map((e, i) =>
        i === 1
          ? {
              ...e,
              platform: {
                ...(e["platform"] as Json),
                compatibilities: {
                  mediaType: MediaType.ImageManifest,
                  digest: "sha256:ABC",
                  size: 3,
                },
              },
            }
          : e,
      ),
    });
    const src = createMemoryStore();
    await pushAll(src, image.blobs);
    const store = registryStore(registry.host, "trust/bad");
    try {
      await copyGraph(src, store, image.index.desc);
      // distribution accepts it: it does not look inside platform (DESIGN §1).
      await store.pushManifest(bad.desc, bad.bytes, "v1");
    } finally {
      await store.close();
    }
    const dst = join(work.path, "from-registry");
    const out = await runCliAsync(["copy", `${registry.host}/trust/bad:v1`, `oci:${dst}:v1`]);
    assert.equal(out.status, 2, out.stderr);
    assert.match(out.stderr, new RegExp(bad.desc.digest));
    assert.match(out.stderr, /\$\.manifests\[1\]\.platform\.compatibilities\.digest/);
    assert.equal(existsSync(dst), false);
  });
});

describe("verify hashes blobs", () => {
  test("a layout layer with wrong bytes of the right size: exit 1, MISMATCH naming the digest", async () => {
    const image = sampleImage("hash");
    const dir = join(work.path, "hash-layout");
    await layoutWith(dir, image.blobs, image.index);
    const ok = await runCliAsync(["verify", `oci:${dir}:v1`]);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /blobs? hashed/);
    const layer = image.blobs.find((b) => b.desc.mediaType.includes("layer"))!;
    const path = join(dir, "blobs", "sha256", layer.desc.digest.slice(7));
    writeFileSync(path, Buffer.alloc(layer.desc.size, 0x41));
    const out = await runCliAsync(["verify", `oci:${dir}:v1`]);
    assert.equal(out.status, 1, out.stdout + out.stderr);
    assert.match(out.stdout, new RegExp(`MISMATCH .*${layer.desc.digest}`));
  });

  test("a registry: presence only without --blobs (said in text and JSON); --blobs hashes and finds wrong bytes", async () => {
    const image = sampleImage("hash-registry");
    const src = createMemoryStore();
    await pushAll(src, image.blobs);
    const store = registryStore(registry.host, "trust/hash");
    try {
      await copyGraph(src, store, image.index.desc, { tag: "v1" });
    } finally {
      await store.close();
    }
    const ref = `${registry.host}/trust/hash:v1`;
    const plain = await runCliAsync(["verify", ref]);
    assert.equal(plain.status, 0, plain.stderr);
    assert.match(plain.stdout, /checked for presence only/);
    assert.match(plain.stdout, /--blobs downloads and hashes them/);
    const asJson = await runCliAsync(["verify", "-o", "json", ref]);
    assert.equal((JSON.parse(asJson.stdout) as Json)["blobCheck"], "presence");
    const hashed = await runCliAsync(["verify", "--blobs", "-o", "json", ref]);
    assert.equal(hashed.status, 0, hashed.stderr);
    assert.equal((JSON.parse(hashed.stdout) as Json)["blobCheck"], "hashed");
    // Wrong bytes of the right size, written into the registry's own storage.
    const layer = image.blobs.find((b) => b.desc.mediaType.includes("layer"))!;
    const hex = layer.desc.digest.slice(7);
    const data = join(
      registry.storage,
      "docker/registry/v2/blobs/sha256",
      hex.slice(0, 2),
      hex,
      "data",
    );
    writeFileSync(data, Buffer.alloc(layer.desc.size, 0x41));
    const bad = await runCliAsync(["verify", "--blobs", ref]);
    assert.equal(bad.status, 1, bad.stdout + bad.stderr);
    assert.match(bad.stdout, new RegExp(`MISMATCH .*${layer.desc.digest}`));
    const blind = await runCliAsync(["verify", ref]);
    assert.equal(blind.status, 0, "without --blobs the registry's bytes are not read");
  });
});

describe("crash leftovers", () => {
  let proxy: FaultProxy;
  let layer: Blob;
  let config: Blob;
  before(async () => {
    proxy = await startFaultProxy(registry.host);
    layer = blob("application/vnd.oci.image.layer.v1.tar", randomBytes(4 * 1024 * 1024));
    config = json(MediaType.ImageConfig, {
      architecture: "amd64",
      os: "linux",
      rootfs: { type: "layers", diff_ids: [] },
    });
    const manifest = json(MediaType.ImageManifest, {
      schemaVersion: 2,
      mediaType: MediaType.ImageManifest,
      config: config.desc,
      layers: [layer.desc],
    });
    const src = createMemoryStore();
    await pushAll(src, [config, layer, manifest]);
    const store = registryStore(registry.host, "trust/kill");
    try {
      await copyGraph(src, store, manifest.desc, { tag: "v1" });
    } finally {
      await store.close();
    }
  });
  after(async () => {
    await proxy.close();
  });

  const temps = (dir: string): string[] => {
    const blobs = join(dir, "blobs", "sha256");
    return existsSync(blobs)
      ? readdirSync(blobs)
          .filter((n) => n.includes(".tmp-"))
          .map((n) => join(blobs, n))
      : [];
  };

  /** Starts a copy through the proxy, which stalls the layer; SIGKILLs it once 1 MiB is on disk. */
  async function killedCopy(dir: string): Promise<void> {
    const before = new Set(temps(dir));
    proxy.rule = (m, url) =>
      m === "GET" && url.endsWith(`/blobs/${layer.desc.digest}`)
        ? { kind: "stall", after: 1024 * 1024 }
        : undefined;
    const child = spawn(
      process.execPath,
      ["bin/ocicompat.js", "copy", `${proxy.host}/trust/kill:v1`, `oci:${dir}:v1`],
      { stdio: "ignore" },
    );
    const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
    try {
      // The config goes to disk beside the layer; killing the copy while its (small) temp file
      // is still being synced would leave two temp files, so wait for it to be in place too.
      const configFile = join(dir, "blobs", "sha256", config.desc.digest.slice("sha256:".length));
      for (let i = 0; i < 2000; i++) {
        const mine = temps(dir).filter((t) => !before.has(t));
        // A temp file listed may be renamed into place before it is looked at: no size then.
        const size = (t: string) => statSync(t, { throwIfNoEntry: false })?.size ?? 0;
        if (mine.some((t) => size(t) >= 1024 * 1024) && existsSync(configFile)) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    } finally {
      child.kill("SIGKILL");
      await exited;
      proxy.reset();
    }
    assert.equal(temps(dir).length, before.size + 1, "the killed copy left its partial temp file");
  }

  /** As if their writers had been gone for a minute: no heartbeat refreshed them. */
  const age = (files: readonly string[]): void => {
    const old = new Date(Date.now() - 60_000);
    for (const f of files) utimesSync(f, old, old);
  };

  test("copies killed with SIGKILL mid-transfer (a fault proxy in front of the real registry stalls the body): gc --grace 0 removes their temp files once their writers stopped refreshing them", async () => {
    const dir = join(work.path, "killed-gc");
    for (let i = 0; i < 3; i++) await killedCopy(dir);
    const left = temps(dir);
    assert.equal(left.length, 3);
    const young = await runCliAsync(["gc", "--grace", "0", `oci:${dir}`]);
    assert.equal(young.status, 0, young.stderr);
    assert.equal(temps(dir).length, 3, "within the lease a temp file may be a live writer's: kept");
    age(left);
    const out = await runCliAsync(["gc", "--grace", "0", `oci:${dir}`]);
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /3 temp file\(s\) removed/);
    assert.deepEqual(temps(dir), []);
  });

  test("a re-run after copies killed with SIGKILL mid-transfer (a fault proxy in front of the real registry stalls the body) finishes and removes their temp files itself", async () => {
    const dir = join(work.path, "killed-resume");
    for (let i = 0; i < 3; i++) await killedCopy(dir);
    age(temps(dir));
    const out = await runCliAsync(["copy", `${registry.host}/trust/kill:v1`, `oci:${dir}:v1`]);
    assert.equal(out.status, 0, out.stderr);
    assert.deepEqual(temps(dir), [], "no leftovers after a successful re-run");
    const verified = await runCliAsync(["verify", `oci:${dir}:v1`]);
    assert.equal(verified.status, 0, verified.stdout);
  });
});
