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
