// verify and protect on OCI layouts and archives, and on an in-test registry with the referrers
// API: dangling and mismatched descriptors with their locations, anchors reported by --gc, protect
// adding what is missing and writing nothing the second time.
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { buildCompatBlob, buildCompatConfig, buildCompatManifest } from "../../src/compat/build.js";
import { editCompatibilities } from "../../src/compat/index-edit.js";
import { openArchive } from "../../src/content/archive.js";
import { copyGraph } from "../../src/content/copy.js";
import { openLayout, type LayoutStore } from "../../src/content/layout.js";
import { createMemoryStore } from "../../src/content/memory.js";
import type { ReferrersCapable, Store } from "../../src/content/store.js";
import { computeDigest } from "../../src/oci/digest.js";
import { EmptyDescriptor, MediaType } from "../../src/oci/media-types.js";
import type { Descriptor } from "../../src/oci/schema.js";
import { compatTag } from "../../src/ops/anchors.js";
import { attach } from "../../src/ops/attach.js";
import { protect } from "../../src/ops/protect.js";
import { verify } from "../../src/ops/verify.js";
import { addUntagged, pushAll, sampleImage, tempDir } from "../content/layout-support.js";
import { FakeRegistry, startServer } from "../content/registry/helpers.js";
import { pushSample, registryStore, type Json } from "./attach-support.js";

const work = tempDir("ocicompat-verify-");
after(() => work.remove());

async function layoutWithImage(name: string) {
  const image = sampleImage(name);
  const src = createMemoryStore();
  await pushAll(src, image.blobs);
  const dir = join(work.path, name);
  const layout = await openLayout(dir, { create: true });
  await copyGraph(src, layout, image.index.desc, { tag: "v1" });
  return { image, dir, layout };
}

/** The sample image with a Proposal J blob in entry 0 and no keeper, as another tool writes it. */
async function bareBlobLayout(name: string) {
  const { image, dir, layout } = await layoutWithImage(name);
  const blob = buildCompatBlob([{ "oci.cpu.vendor": "GenuineIntel" }]);
  await layout.push(blob.descriptor, blob.bytes);
  const edited = editCompatibilities(image.index.bytes, [
    { entry: 0, compatibilities: blob.descriptor },
  ]);
  await layout.push(edited.descriptor, edited.bytes);
  await layout.tag(edited.descriptor, "v1");
  return { image, dir, layout, blob };
}

const SETS: Json[] = [{ "oci.cpu.features": "AVX2" }];
const CREATED = "2026-03-01T00:00:00Z";

/** Pushes a compat manifest (with its config and empty layer) for `sets`; returns its descriptor. */
async function pushCompatManifest(layout: LayoutStore, sets: Json[]): Promise<Descriptor> {
  const config = buildCompatConfig(sets, { os: "linux", architecture: "amd64" }, CREATED);
  const manifest = buildCompatManifest(config.descriptor, { created: CREATED });
  await layout.push(EmptyDescriptor, new TextEncoder().encode("{}"));
  await layout.push(config.descriptor, config.bytes);
  await layout.push(manifest.descriptor, manifest.bytes);
  return manifest.descriptor;
}

/** Writes an edited copy of an index (as another tool would, re-serialised) and tags it v1. */
async function tagIndex(
  layout: LayoutStore,
  bytes: Uint8Array,
  edit: (entries: Json[]) => void,
): Promise<void> {
  const index = JSON.parse(Buffer.from(bytes).toString()) as { manifests: Json[] };
  edit(index.manifests);
  const out = new TextEncoder().encode(JSON.stringify(index));
  const desc = { mediaType: MediaType.ImageIndex, digest: computeDigest(out), size: out.length };
  await layout.push(desc, out);
  await layout.tag(desc, "v1");
}

describe("verify", () => {
  test("a complete image with compat content attached by ocicompat verifies, and --gc names the .compat tag", async () => {
    const { layout, image } = await layoutWithImage("complete");
    const attached = await attach(layout, "v1", { sets: SETS, all: true });
    const result = await verify(layout, "v1", { gc: true });
    assert.deepEqual(result.problems, []);
    assert.equal(result.ok, true);
    // index + 2 image manifests + 2 compat manifests
    assert.equal(result.checked.manifests, 5);
    assert.equal(result.anchors?.length, 2);
    const first = result.anchors![0]!;
    assert.equal(first.location, "index → manifests[0].platform.compatibilities");
    assert.equal(first.digest, attached.entries[0]!.compatManifest.digest);
    assert.equal(first.protected, true);
    assert.ok(
      first.anchors.some(
        (a) => a.kind === "compat-tag" && a.name === compatTag(image.manifests[0]!.desc.digest),
      ),
    );
  });

  // Both entries share one compat manifest here; a document's children are reported once, at the
  // first place it appears.
  test("a missing compat config and a missing layer are reported with their locations", async () => {
    const { layout, image } = await layoutWithImage("missing");
    const attached = await attach(layout, "v1", { sets: SETS, all: true });
    const config = attached.writes.find((w) => w.role === "config")!.descriptor;
    rmSync(layout.blobPath(config.digest));
    const layer = (JSON.parse(image.manifests[1]!.bytes.toString()) as { layers: Json[] })
      .layers[0] as { digest: string };
    rmSync(layout.blobPath(layer.digest));
    const result = await verify(layout, "v1");
    assert.equal(result.ok, false);
    const found = result.problems.map((p) => [p.kind, p.location, p.digest]);
    assert.deepEqual(
      found.sort(),
      [
        ["missing", "index → manifests[0].platform.compatibilities → config", config.digest],
        ["missing", "index → manifests[1] → layers[0]", layer.digest],
      ].sort(),
    );
  });

  test("a compat manifest whose bytes changed is a mismatch; a dangling one is missing", async () => {
    const { layout } = await layoutWithImage("mismatch");
    const attached = await attach(layout, "v1", { sets: SETS, platform: "linux/amd64" });
    const compat = attached.entries[0]!.compatManifest;
    const path = layout.blobPath(compat.digest);
    const bytes = readFileSync(path);
    bytes[bytes.length - 2] = bytes[bytes.length - 2]! ^ 1;
    writeFileSync(path, bytes);
    let result = await verify(layout, "v1");
    assert.deepEqual(
      result.problems.map((p) => [p.kind, p.location, p.digest]),
      [["mismatch", "index → manifests[0].platform.compatibilities", compat.digest]],
    );
    rmSync(path);
    result = await verify(layout, "v1");
    assert.deepEqual(
      result.problems.map((p) => [p.kind, p.digest]),
      [["missing", compat.digest]],
    );
  });

  test("--gc: compat content attached without anchors is reported as kept by nothing", async () => {
    const { layout } = await layoutWithImage("unanchored");
    const attached = await attach(layout, "v1", { sets: SETS, all: true, anchor: "none" });
    assert.equal((await verify(layout, "v1")).ok, true, "without --gc nothing is wrong");
    const result = await verify(layout, "v1", { gc: true });
    assert.equal(result.ok, false);
    assert.deepEqual(
      result.problems.map((p) => [p.kind, p.digest]),
      attached.entries.map((e) => ["unanchored", e.compatManifest.digest]),
    );
    assert.ok(result.anchors?.every((a) => a.anchors.length === 0 && !a.protected));
  });

  test("--gc: a store whose referrers API lists the compat manifest needs no tag (a stand-in for a registry with the API)", async () => {
    const { layout, image } = await layoutWithImage("api");
    const attached = await attach(layout, "v1", { sets: SETS, all: true, anchor: "none" });
    const byDigest = new Map(attached.entries.map((e) => [e.manifest.digest, e.compatManifest]));
    // The layout's own methods, plus a referrers API listing each entry's compat manifest.
    const withApi: Store & ReferrersCapable & { referrersApi: boolean } = {
      name: layout.name,
      referrersApi: true,
      resolve: (r) => layout.resolve(r),
      fetch: (d) => layout.fetch(d),
      exists: (d) => layout.exists(d),
      push: (d, b) => layout.push(d, b),
      tag: (d, t) => layout.tag(d, t),
      listTags: () => layout.listTags(),
      referrers: async (subject) => {
        const compat = byDigest.get(subject.digest);
        return compat === undefined ? [] : [{ ...compat } as Descriptor];
      },
    };
    const result = await verify(withApi, "v1", { gc: true });
    assert.deepEqual(result.problems, []);
    const row = result.anchors![0]!;
    assert.deepEqual(row.anchors, [
      { kind: "referrers-api", name: image.manifests[0]!.desc.digest },
    ]);
    assert.equal(row.protected, true);
    // protect sees the same anchor and writes nothing.
    assert.deepEqual((await protect(withApi, "v1")).writes, []);
  });

  test("--gc: on a registry with the referrers API the subject anchors the compat manifest (an in-test registry; distribution 2.8 has none)", async () => {
    const fake = new FakeRegistry({ referrersApi: true });
    const server = await startServer(fake.handler);
    const store = registryStore(server.host, "verify/api");
    try {
      const image = await pushSample(server.host, "verify/api", "v1");
      const attached = await attach(store, "v1", { sets: SETS, platform: "linux/amd64" });
      assert.equal(attached.entries[0]!.anchors.subjectAccepted, true);
      const subject = image.manifests[0]!.desc.digest;
      assert.equal(fake.tags.has(compatTag(subject)), false, "auto wrote no tag");

      const result = await verify(store, "v1", { gc: true });
      assert.deepEqual(result.problems, []);
      assert.equal(result.ok, true);
      const row = result.anchors!.find((r) => r.subject === subject)!;
      assert.deepEqual(row.anchors, [{ kind: "referrers-api", name: subject }]);
      assert.equal(row.protected, true);
      assert.deepEqual((await protect(store, "v1")).writes, []);
    } finally {
      await store.close();
      await server.close();
    }
  });

  test("protect: on a registry with the referrers API a Proposal J blob's new keeper is anchored by its subject, and no tag is written (an in-test registry; distribution 2.8 has none)", async () => {
    const fake = new FakeRegistry({ referrersApi: true });
    const server = await startServer(fake.handler);
    const store = registryStore(server.host, "verify/api-keeper");
    try {
      const image = await pushSample(server.host, "verify/api-keeper", "v0");
      const blob = buildCompatBlob([{ "oci.cpu.vendor": "GenuineIntel" }]);
      await store.push(blob.descriptor, blob.bytes);
      const edited = editCompatibilities(image.index.bytes, [
        { entry: 0, compatibilities: blob.descriptor },
      ]);
      await store.pushManifest(edited.descriptor, edited.bytes, "v1");

      const result = await protect(store, "v1", { created: CREATED });
      assert.deepEqual(
        result.entries.map((e) => [e.form, e.status]),
        [["blob", "protected"]],
      );
      const keeper = result.writes.find((w) => w.role === "keeper");
      assert.equal(keeper?.subjectAccepted, true);
      assert.equal(result.entries[0]!.anchored, keeper?.descriptor.digest);
      assert.deepEqual(
        result.writes.filter((w) => w.action === "tag"),
        [],
        "the referrers API is the anchor: no .compat tag, no fallback index",
      );
      const subject = image.manifests[0]!.desc.digest;
      assert.equal(fake.tags.has(compatTag(subject)), false);

      const row = (await verify(store, "v1", { gc: true })).anchors![0]!;
      assert.equal(row.keeper, keeper?.descriptor.digest);
      assert.deepEqual(row.anchors, [{ kind: "referrers-api", name: subject }]);
      assert.deepEqual((await protect(store, "v1")).writes, []);
    } finally {
      await store.close();
      await server.close();
    }
  });

  test("--gc: a Proposal J blob without a keeper is reported", async () => {
    const { layout, blob } = await bareBlobLayout("bare");
    assert.equal((await verify(layout, "v1")).ok, true);
    const result = await verify(layout, "v1", { gc: true });
    assert.deepEqual(
      result.problems.map((p) => [p.kind, p.location, p.digest]),
      [["unanchored", "index → manifests[0].platform.compatibilities", blob.descriptor.digest]],
    );
    assert.match(result.problems[0]!.message, /no keeper/);
  });

  test("--gc: a keeper that another tool listed in index.json (oras style) is found; protect adds nothing", async () => {
    const { layout, blob, image } = await bareBlobLayout("root-keeper");
    const keeper = buildCompatManifest(EmptyDescriptor as Descriptor, {
      created: CREATED,
      subject: { ...image.manifests[0]!.desc } as Descriptor,
      layers: "none",
      extraLayers: [{ ...blob.descriptor } as Descriptor],
    });
    await layout.push(EmptyDescriptor, new TextEncoder().encode("{}"));
    await layout.push(keeper.descriptor, keeper.bytes);
    addUntagged(layout.dir, { desc: keeper.descriptor, bytes: Buffer.from(keeper.bytes) });

    const result = await verify(layout, "v1", { gc: true });
    assert.deepEqual(result.problems, []);
    const row = result.anchors![0]!;
    assert.equal(row.protected, true);
    assert.deepEqual(row.anchors, [{ kind: "root", name: "index.json" }]);
    assert.deepEqual((await protect(layout, "v1")).writes, []);
  });
});

describe("verify and protect on an OCI archive", () => {
  test("protect writes the anchor into the archive; verify --gc passes on it afterwards", async () => {
    const image = sampleImage("archive");
    const src = createMemoryStore();
    await pushAll(src, image.blobs);
    const file = join(work.path, "image.tar");
    const archive = await openArchive(file, { create: true });
    await copyGraph(src, archive, image.index.desc, { tag: "v1" });
    await attach(archive, "v1", { sets: SETS, platform: "linux/amd64", anchor: "none" });
    assert.equal((await verify(archive, "v1", { gc: true })).ok, false);
    await archive.close();
    const opened = await openArchive(file);
    try {
      assert.equal((await protect(opened, "v1")).ok, true);
    } finally {
      await opened.close();
    }
    const reopened = await openArchive(file);
    try {
      const result = await verify(reopened, "v1", { gc: true });
      assert.deepEqual(result.problems, []);
      assert.equal(result.anchors?.[0]?.protected, true);
    } finally {
      await reopened.close();
    }
  });
});

async function tagsOf(layout: LayoutStore): Promise<string[]> {
  return (await layout.listTags()).sort();
}

describe("protect", () => {
  test("anchors compat manifests attached without anchors; a second run writes nothing", async () => {
    const { layout, image } = await layoutWithImage("protect-manifest");
    await attach(layout, "v1", { sets: SETS, all: true, anchor: "none" });
    const first = await protect(layout, "v1");
    assert.equal(first.ok, true);
    assert.deepEqual(
      first.entries.map((e) => e.status),
      ["protected", "protected"],
    );
    assert.deepEqual(
      first.writes.map((w) => `${w.action} ${w.role} ${w.tag ?? ""}`),
      image.manifests.map((m) => `tag compat-tag ${compatTag(m.desc.digest)}`),
    );
    const tags = await tagsOf(layout);
    const index = readFileSync(layout.indexPath, "utf8");
    const second = await protect(layout, "v1");
    assert.deepEqual(second.writes, []);
    assert.deepEqual(
      second.entries.map((e) => e.status),
      ["already", "already"],
    );
    assert.deepEqual(await tagsOf(layout), tags);
    assert.equal(readFileSync(layout.indexPath, "utf8"), index);
    assert.equal((await verify(layout, "v1", { gc: true })).ok, true);
  });

  test("an entry with both compatibilities and compat: the .compat tag goes to compatibilities, compat gets a warning", async () => {
    const { layout, image } = await layoutWithImage("protect-both");
    const manifest = await pushCompatManifest(layout, [{ "oci.cpu.vendor": "GenuineIntel" }]);
    const jblob = buildCompatBlob([{ "oci.cpu.vendor": "AuthenticAMD" }]);
    await layout.push(jblob.descriptor, jblob.bytes);
    await tagIndex(layout, image.index.bytes, (entries) => {
      entries[0]!.platform = {
        ...(entries[0]!.platform as Json),
        compatibilities: manifest,
        compat: jblob.descriptor,
      };
    });
    const result = await protect(layout, "v1");
    assert.deepEqual(
      result.entries.map((e) => [e.location, e.status]),
      [["index → manifests[0].platform.compatibilities", "protected"]],
    );
    assert.match(result.warnings.join("\n"), /manifests\[0\]\.platform\.compat: not protected/);
    const subject = image.manifests[0]!.desc.digest;
    assert.equal((await layout.resolve(compatTag(subject))).digest, manifest.digest);
    const row = (await verify(layout, "v1", { gc: true })).anchors!.find((r) =>
      r.location.endsWith(".compatibilities"),
    )!;
    assert.equal(row.protected, true);
  });

  test("two entries naming one image manifest with different compat manifests: the second is a conflict, not a moved tag", async () => {
    const { layout, image } = await layoutWithImage("protect-twice");
    const first = await pushCompatManifest(layout, [{ "oci.cpu.vendor": "GenuineIntel" }]);
    const second = await pushCompatManifest(layout, [{ "oci.cpu.vendor": "AuthenticAMD" }]);
    await tagIndex(layout, image.index.bytes, (entries) => {
      const same = { ...entries[0]! };
      entries[0]!.platform = { ...(entries[0]!.platform as Json), compatibilities: first };
      entries[1] = {
        ...same,
        platform: { ...(same.platform as Json), compatibilities: second },
      };
    });
    const result = await protect(layout, "v1");
    assert.deepEqual(
      result.entries.map((e) => e.status),
      ["protected", "conflict"],
    );
    assert.equal(result.ok, false);
    const subject = image.manifests[0]!.desc.digest;
    assert.equal(
      (await layout.resolve(compatTag(subject))).digest,
      first.digest,
      "the tag stays on the first entry's compat manifest",
    );
  });

  test("--anchor tag also writes the referrers fallback index", async () => {
    const { layout, image } = await layoutWithImage("protect-tag");
    await attach(layout, "v1", { sets: SETS, platform: "linux/amd64", anchor: "none" });
    const result = await protect(layout, "v1", { anchor: "tag" });
    assert.deepEqual(
      result.writes.map((w) => w.role),
      ["compat-tag", "referrers-tag"],
    );
    const row = (await verify(layout, "v1", { gc: true })).anchors![0]!;
    assert.deepEqual(row.anchors.map((a) => a.kind).sort(), [
      "compat-tag",
      "referrers-tag",
      "root",
    ]);
    assert.equal(row.subject, image.manifests[0]!.desc.digest);
    assert.deepEqual((await protect(layout, "v1", { anchor: "tag" })).writes, []);
  });

  test("a Proposal J blob gets a keeper, and the keeper its anchor; a second run writes nothing", async () => {
    const { layout, blob } = await bareBlobLayout("protect-blob");
    const first = await protect(layout, "v1");
    assert.deepEqual(
      first.writes.map((w) => `${w.action} ${w.role}`),
      ["blob empty", "manifest keeper", "tag compat-tag"],
    );
    const result = await verify(layout, "v1", { gc: true });
    assert.equal(result.ok, true);
    assert.equal(result.anchors![0]!.digest, blob.descriptor.digest);
    assert.equal(result.anchors![0]!.keeper, first.entries[0]!.anchored);
    assert.deepEqual((await protect(layout, "v1")).writes, []);
  });

  test("compat content that is missing cannot be protected: not ok, nothing written", async () => {
    const { layout } = await layoutWithImage("protect-missing");
    const attached = await attach(layout, "v1", {
      sets: SETS,
      platform: "linux/amd64",
      anchor: "none",
    });
    rmSync(layout.blobPath(attached.entries[0]!.compatManifest.digest));
    const result = await protect(layout, "v1");
    assert.equal(result.ok, false);
    assert.equal(result.entries[0]!.status, "missing");
    assert.deepEqual(result.writes, []);
  });
});
