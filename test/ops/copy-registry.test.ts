// copy against the real registry (Debian docker-registry, distribution 2.8) and skopeo: skopeo
// leaves compat content behind, ocicompat copies it; same-registry copies mount instead of upload;
// referrers and their fallback tag come along with --referrers, from a registry or a layout.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { RegistryStore } from "../../src/content/registry/index.js";
import { referrersTag } from "../../src/content/registry/index.js";
import { MediaType } from "../../src/oci/media-types.js";
import { copyImage } from "../../src/ops/copy.js";
import { openLayout } from "../../src/content/layout.js";
import {
  addUntagged,
  blob,
  emptyBlob,
  pushAll,
  referrer,
  sampleImage,
  skopeo,
  tempDir,
} from "../content/layout-support.js";
import type { TestRegistry } from "../support/registry.js";
import { imageWithCompat } from "../support/sample-image.js";
import {
  type FaultProxy,
  holdUntilAsked,
  type ProxiedRegistry,
  startProxiedRegistry,
  uploadRequests,
} from "./copy-support.js";
import { indexBlob, pushToRegistry } from "./select-support.js";

let fixture: ProxiedRegistry;
let registry: TestRegistry;
let proxy: FaultProxy;
const image = imageWithCompat("copy-registry");
const store = (repository: string, host = registry.host): RegistryStore =>
  fixture.store(repository, host);

before(async () => {
  fixture = await startProxiedRegistry();
  ({ registry, proxy } = fixture);
  await pushToRegistry(registry.host, "copy/src", image.blobs, image.index.desc, "v1");
});

after(async () => {
  await fixture?.close();
});

/** A layout holding a two-platform sample image (tag v1 names its index), removed after `fn`. */
async function withLayoutImage(
  label: string,
  fn: (made: {
    layout: Awaited<ReturnType<typeof openLayout>>;
    index: ReturnType<typeof sampleImage>["index"];
    children: ReturnType<typeof sampleImage>["blobs"];
  }) => Promise<void>,
): Promise<void> {
  const { blobs, index } = sampleImage(label);
  const dir = tempDir();
  try {
    const layout = await openLayout(dir.path, { create: true });
    await pushAll(layout, blobs);
    await layout.tag(index.desc, "v1");
    const children = blobs.filter((b) => b.desc.mediaType === MediaType.ImageManifest);
    await fn({ layout, index, children });
  } finally {
    dir.remove();
  }
}

/**
 * Resets the proxy and makes it answer the `HEAD` of `root` in `repository` only once a `HEAD` of
 * each of `children` has arrived, or after 5 s. Settles to which came first.
 */
function holdRootHead(
  repository: string,
  root: string,
  children: readonly { desc: { digest: string } }[],
): Promise<"asked" | "timeout"> {
  const head = (digest: string) => `HEAD /v2/${repository}/manifests/${digest}`;
  return holdUntilAsked(
    proxy,
    head(root),
    children.map((c) => head(c.desc.digest)),
  );
}

describe("copy on the real registry", () => {
  test("skopeo copy --all leaves compat content dangling; ocicompat copy leaves it complete", async () => {
    skopeo(
      "copy",
      "--all",
      "--src-tls-verify=false",
      "--dest-tls-verify=false",
      `docker://${registry.host}/copy/src:v1`,
      `docker://${registry.host}/copy/by-skopeo:v1`,
    );
    const bySkopeo = store("copy/by-skopeo");
    assert.equal(
      (await bySkopeo.resolve("v1")).digest,
      image.index.desc.digest,
      "index bytes kept",
    );
    const [, config, manifest, jblob] = image.compat;
    assert.equal(await bySkopeo.exists(manifest!.desc), false, "compat manifest dangles");
    assert.equal(await bySkopeo.exists(config!.desc), false, "compat config dangles");
    assert.equal(await bySkopeo.exists(jblob!.desc), false, "Proposal J blob dangles");

    const byOcicompat = store("copy/by-ocicompat");
    const result = await copyImage({
      src: store("copy/src"),
      reference: "v1",
      dst: byOcicompat,
      tag: "v1",
    });
    assert.equal(result.root.digest, image.index.desc.digest);
    for (const b of image.blobs)
      assert.equal(await byOcicompat.exists(b.desc), true, b.desc.digest);
    assert.equal((await byOcicompat.resolve("v1")).digest, image.index.desc.digest);
  });

  test("a copy between repositories of one registry mounts blobs: no upload bodies", async () => {
    proxy.reset();
    const result = await copyImage({
      src: store("copy/src", proxy.host),
      reference: "v1",
      dst: store("copy/mounted", proxy.host),
      tag: "v1",
      mountFrom: "copy/src",
    });
    const blobs = new Set(
      image.blobs
        .filter(
          (b) => !b.desc.mediaType.includes("manifest") && !b.desc.mediaType.includes("index"),
        )
        .map((b) => b.desc.digest),
    );
    assert.equal(result.stats.mounted, blobs.size);
    assert.deepEqual(uploadRequests(proxy.seen), []);
    const mounts = proxy.seen.filter((s) => s.url.includes("mount="));
    assert.ok(mounts.length === blobs.size && mounts.every((m) => m.status === 201));
    assert.equal(
      proxy.seen.filter((s) => s.method === "GET" && s.url.includes("/blobs/")).length,
      0,
    );
    const mounted = store("copy/mounted");
    for (const b of image.blobs) assert.equal(await mounted.exists(b.desc), true);
  });

  test("a first push asks for the new root's children beside the root's own presence, not after its answer", async () => {
    await withLayoutImage("early-presence", async ({ layout, index, children }) => {
      const released = holdRootHead("copy/early", index.desc.digest, children);
      await copyImage({
        src: layout,
        reference: "v1",
        dst: store("copy/early", proxy.host),
        tag: "v1",
      });
      assert.equal(await released, "asked", "the children were asked only after the root's answer");
      const heads = proxy.seen.filter((s) => s.method === "HEAD").map((s) => s.url);
      assert.equal(heads.length, new Set(heads).size, "nothing asked twice");
      assert.equal((await store("copy/early").resolve("v1")).digest, index.desc.digest);
    });
  });

  test("a root found present after its children were asked for is skipped: only the tag is written, and every early answer is in before the copy returns", async () => {
    await withLayoutImage("early-present", async ({ layout, index, children }) => {
      // The root is at the destination, under another tag than the one copied to.
      await copyImage({
        src: layout,
        reference: "v1",
        dst: store("copy/early-present"),
        tag: "old",
      });
      const released = holdRootHead("copy/early-present", index.desc.digest, children);
      const result = await copyImage({
        src: layout,
        reference: "v1",
        dst: store("copy/early-present", proxy.host),
        tag: "v1",
      });
      assert.equal(await released, "asked");
      assert.deepEqual([result.stats.copied, result.stats.skipped], [0, 1]);
      const writes = proxy.seen.filter((s) => s.method !== "HEAD" && s.method !== "GET");
      assert.deepEqual(
        writes.map((s) => `${s.method} ${s.url}`),
        ["PUT /v2/copy/early-present/manifests/v1"],
      );
      assert.ok(
        proxy.seen.every((s) => s.status !== 0),
        "an answer still on its way",
      );
    });
  });

  test("a root found present before its bytes are in asks for no child, even after the copy returns", async () => {
    await withLayoutImage("early-late", async ({ layout, index, children }) => {
      await copyImage({ src: layout, reference: "v1", dst: store("copy/early-late"), tag: "old" });
      // The source's bytes of the root come 150 ms late: the destination's answer is in first.
      const slow = new Proxy(layout, {
        get(target, key) {
          if (key === "fetch") {
            return async (d: { digest: string }, o?: object) => {
              if (d.digest === index.desc.digest) await new Promise((r) => setTimeout(r, 150));
              return target.fetch(d as never, o);
            };
          }
          const value: unknown = Reflect.get(target, key);
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
      proxy.reset();
      await copyImage({
        src: slow,
        reference: "v1",
        dst: store("copy/early-late", proxy.host),
        tag: "v1",
      });
      const returned = proxy.seen.length;
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(proxy.seen.length, returned, "requests sent after the copy returned");
      const childHeads = proxy.seen.filter((s) =>
        children.some((c) => s.url.endsWith(c.desc.digest)),
      );
      assert.deepEqual(childHeads, []);
    });
  });

  test("--referrers copies referrers and writes the fallback tag at the destination", async () => {
    const src = store("copy/src");
    const subject = JSON.parse(image.index.bytes.toString()).manifests[0] as {
      mediaType: string;
      digest: string;
      size: number;
    };
    const empty = blob(MediaType.Empty, "{}");
    const sig = blob(
      MediaType.ImageManifest,
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ImageManifest,
        artifactType: "application/vnd.example.signature",
        config: empty.desc,
        layers: [empty.desc],
        subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
      }),
    );
    await src.push(empty.desc, empty.bytes);
    await src.push(sig.desc, sig.bytes);
    const fallback = indexBlob([
      {
        descriptor: { ...sig.desc, artifactType: "application/vnd.example.signature" },
      },
    ]);
    await src.push(fallback.desc, fallback.bytes);
    await src.tag(fallback.desc, referrersTag(subject.digest));

    const dst = store("copy/with-referrers");
    const result = await copyImage({ src, reference: "v1", dst, tag: "v1", referrers: true });
    assert.equal(result.stats.referrers, 1);
    assert.deepEqual(result.stats.referrersTags, [referrersTag(subject.digest)]);
    assert.equal(await dst.exists(sig.desc), true);
    const listed = await dst.referrers(subject);
    assert.deepEqual(
      listed.map((d) => d.digest),
      [sig.desc.digest],
    );

    // Again: nothing new to write, the fallback tag is left as it is.
    const again = await copyImage({ src, reference: "v1", dst, tag: "v1", referrers: true });
    assert.deepEqual([again.stats.copied, again.stats.referrersTags], [0, []]);
    // The tag already named the root, but referrers were asked for: the graph was still searched.
    assert.equal(again.stats.referrers, 1);
  });

  test("--referrers from an OCI layout reaches the registry's fallback tag", async () => {
    const dir = tempDir("ocicompat-copy-layout-referrers-");
    try {
      const sample = sampleImage("layout-referrers");
      const src = await openLayout(dir.path, { create: true });
      await pushAll(src, [...sample.blobs, emptyBlob]);
      await src.tag(sample.index.desc, "v1");
      const subject = sample.manifests[1]!;
      const sbom = referrer(subject, { configType: "application/vnd.example.sbom" });
      await pushAll(src, [sbom]);
      addUntagged(src.dir, sbom);

      const dst = store("copy/from-layout-referrers");
      const result = await copyImage({ src, reference: "v1", dst, tag: "v1", referrers: true });
      assert.equal(result.stats.referrers, 1);
      assert.deepEqual(result.stats.referrersTags, [referrersTag(subject.desc.digest)]);
      assert.deepEqual(
        (await dst.referrers(subject.desc)).map((d) => [d.digest, d.artifactType]),
        [[sbom.desc.digest, "application/vnd.example.sbom"]],
      );
    } finally {
      dir.remove();
    }
  });
});
