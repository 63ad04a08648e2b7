// attach's manifest format on the real CNCF distribution registry (2.8, no referrers API): the
// compat manifest, both anchor tags, re-attaching, layers, the order of writes and --dry-run.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { EmptyDescriptor, MediaType } from "../../src/oci/media-types.js";
import { compatTag, fallbackTag } from "../../src/ops/anchors.js";
import { attach, attachFile } from "../../src/ops/attach.js";
import { tempDir } from "../content/layout-support.js";
import { requestLog } from "../content/registry/helpers.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import {
  SETS,
  CREATED,
  AUTHORING_YAML,
  SECOND_YAML,
  bytesOf,
  descriptorOf,
  entries,
  jsonOf,
  platformOf,
  pushListedSignature,
  pushSample,
  registryStore,
  tagged,
  writeFile,
  writesOf,
  type Json,
} from "./attach-support.js";

let registry: TestRegistry;
const work = tempDir("ocicompat-attach-");
let compatFile: string;
let secondFile: string;

before(async () => {
  registry = await startRegistry();
  compatFile = writeFile(work.path, "compat.yaml", AUTHORING_YAML);
  secondFile = writeFile(work.path, "second.yaml", SECOND_YAML);
});

after(async () => {
  await registry.stop();
  work.remove();
});

describe("attach on distribution 2.8 (manifest format)", () => {
  test("the entry gets the descriptor; the compat manifest has subject, artifactType and created; both anchors exist", async () => {
    const image = await pushSample(registry.host, "attach/basic", "v1");
    const store = registryStore(registry.host, "attach/basic");
    try {
      const result = await attachFile(`${registry.host}/attach/basic:v1`, compatFile, {
        platform: "linux/amd64",
        created: CREATED,
      });
      assert.equal(result.oldIndex.digest, image.index.desc.digest);
      assert.notEqual(result.newIndex.digest, result.oldIndex.digest);
      assert.equal(result.wrapped, false);

      const now = await tagged(store, "v1");
      assert.equal(now.desc.digest, result.newIndex.digest);
      const amd64 = entries(now.doc)[0] as Json;
      const arm64 = entries(now.doc)[1] as Json;
      const descriptor = descriptorOf(platformOf(amd64)["compatibilities"]);
      assert.equal(descriptor.mediaType, MediaType.ImageManifest);
      assert.equal(platformOf(arm64)["compatibilities"], undefined);
      // The images are untouched: same manifest digests, in the same order.
      assert.deepEqual(
        entries(now.doc).map((e) => e["digest"]),
        image.manifests.map((m) => m.desc.digest),
      );

      const manifest = await jsonOf(store, descriptor);
      const subject = image.manifests[0]!.desc;
      assert.deepEqual(manifest["subject"], {
        mediaType: subject.mediaType,
        digest: subject.digest,
        size: subject.size,
      });
      assert.equal(manifest["artifactType"], MediaType.Compatibilities);
      assert.deepEqual(manifest["annotations"], { "org.opencontainers.image.created": CREATED });
      assert.deepEqual(manifest["layers"], [
        { mediaType: EmptyDescriptor.mediaType, digest: EmptyDescriptor.digest, size: 2 },
      ]);
      const config = await jsonOf(store, descriptorOf(manifest["config"]));
      assert.equal(config["os"], "linux");
      assert.equal(config["architecture"], "amd64");
      const sets = (config["config"] as Json)["compatibilities"] as Json[];
      assert.equal(sets[0]?.["oci.cpu.vendor"], "GenuineIntel|AuthenticAMD");
      assert.equal(sets[0]?.["score"], 5);

      // distribution 2.8 answers no OCI-Subject: both anchor tags are written.
      assert.equal(result.entries[0]?.anchors.subjectAccepted, false);
      const tags = await store.listTags();
      assert.ok(tags.includes(compatTag(subject.digest)), tags.join(","));
      assert.ok(tags.includes(fallbackTag(subject.digest)), tags.join(","));
      assert.equal((await store.resolve(compatTag(subject.digest))).digest, descriptor.digest);
      const referrers = await tagged(store, fallbackTag(subject.digest));
      assert.deepEqual(
        entries(referrers.doc).map((e) => [e["digest"], e["artifactType"]]),
        [[descriptor.digest, MediaType.Compatibilities]],
      );
      // ... and the registry store's referrers() finds it through the fallback tag.
      assert.deepEqual(
        (await store.referrers(subject, MediaType.Compatibilities)).map((d) => d.digest),
        [descriptor.digest],
      );
    } finally {
      await store.close();
    }
  });

  test("re-attaching replaces the descriptor, moves the .compat tag and relists the fallback index", async () => {
    const image = await pushSample(registry.host, "attach/again", "v1");
    const store = registryStore(registry.host, "attach/again");
    try {
      const first = await attach(store, "v1", {
        sets: SETS,
        platform: "linux/amd64",
        created: CREATED,
      });
      const second = await attachFile(`${registry.host}/attach/again:v1`, secondFile, {
        platform: "linux/amd64",
      });
      assert.equal(second.oldIndex.digest, first.newIndex.digest);
      const entry = second.entries[0]!;
      assert.deepEqual(
        entry.replaced.map((d) => d.digest),
        [first.entries[0]!.compatibilities.digest],
      );
      const now = await tagged(store, "v1");
      const descriptor = descriptorOf(platformOf(entries(now.doc)[0])["compatibilities"]);
      assert.equal(descriptor.digest, entry.compatibilities.digest);
      assert.notEqual(descriptor.digest, first.entries[0]!.compatibilities.digest);
      // Only the one field changed: the old index with the new descriptor is the new index.
      const expected = Buffer.from(
        (await bytesOf(store, first.newIndex))
          .toString()
          .replace(JSON.stringify(first.entries[0]!.compatibilities), JSON.stringify(descriptor)),
      );
      assert.equal(Buffer.compare(Buffer.from(now.bytes), expected), 0);

      const subject = image.manifests[0]!.desc.digest;
      assert.equal((await store.resolve(compatTag(subject))).digest, descriptor.digest);
      const referrers = await tagged(store, fallbackTag(subject));
      assert.deepEqual(
        entries(referrers.doc).map((e) => e["digest"]),
        [descriptor.digest],
      );
    } finally {
      await store.close();
    }
  });

  test("the fallback index keeps the subject's other referrers (a signature stays listed)", async () => {
    const image = await pushSample(registry.host, "attach/merge", "v1");
    const store = registryStore(registry.host, "attach/merge");
    try {
      const subject = image.manifests[0]!.desc;
      const signature = await pushListedSignature(store, subject);

      const result = await attach(store, "v1", { sets: SETS, platform: "linux/amd64" });
      const referrers = await tagged(store, fallbackTag(subject.digest));
      assert.deepEqual(
        entries(referrers.doc).map((e) => e["digest"]),
        [signature.digest, result.entries[0]!.compatManifest.digest],
      );
    } finally {
      await store.close();
    }
  });

  test("--layers none and --layers empty are both accepted by distribution 2.8", async () => {
    await pushSample(registry.host, "attach/layers", "v1");
    const store = registryStore(registry.host, "attach/layers");
    try {
      const none = await attach(store, "v1", {
        sets: SETS,
        platform: "linux/amd64",
        layers: "none",
      });
      const manifest = await jsonOf(store, none.entries[0]!.compatManifest);
      assert.deepEqual(manifest["layers"], []);
      assert.ok(!none.writes.some((w) => w.role === "empty"), "no empty blob without the layer");
      const empty = await attach(store, "v1", {
        sets: SETS,
        platform: "linux/amd64",
        layers: "empty",
      });
      const withLayer = await jsonOf(store, empty.entries[0]!.compatManifest);
      assert.equal((withLayer["layers"] as Json[]).length, 1);
    } finally {
      await store.close();
    }
  });

  test("the tag never names an index with a dangling descriptor: writes go config, manifest, anchors, index last", async () => {
    const image = await pushSample(registry.host, "attach/order", "v1");
    const { log, onRequest } = requestLog();
    const store = registryStore(registry.host, "attach/order", onRequest);
    try {
      const result = await attach(store, "v1", {
        sets: SETS,
        platform: "linux/amd64",
        created: CREATED,
      });
      const subject = image.manifests[0]!.desc.digest;
      const compat = result.entries[0]!.compatManifest.digest;
      const repo = "/v2/attach/order";
      const config = result.writes.find((w) => w.role === "config")!.descriptor.digest;
      const sequence = log
        .filter((l) => /^(PUT|POST) /.test(l) || l.startsWith(`HEAD ${repo}/blobs/`))
        .map((l) => l.replace(/\?.*$/, "").replace(/\/blobs\/uploads\/.+$/, "/blobs/uploads/ID"));
      // The two blobs go at once (attach-concurrency.test.ts shows each step ends first).
      assert.deepEqual(
        sequence.slice(0, 6).sort(),
        [
          `HEAD ${repo}/blobs/${EmptyDescriptor.digest}`,
          `HEAD ${repo}/blobs/${config}`,
          `POST ${repo}/blobs/uploads/`,
          `POST ${repo}/blobs/uploads/`,
          `PUT ${repo}/blobs/uploads/ID`,
          `PUT ${repo}/blobs/uploads/ID`,
        ].sort(),
      );
      assert.deepEqual(sequence.slice(6), [
        `PUT ${repo}/manifests/${compat}`,
        `PUT ${repo}/manifests/${compatTag(subject)}`,
        `PUT ${repo}/manifests/${fallbackTag(subject)}`,
        `PUT ${repo}/manifests/v1`,
      ]);
      assert.deepEqual(
        result.writes.map((w) => `${w.action} ${w.role}`),
        [
          "blob empty",
          "blob config",
          "manifest compat-manifest",
          "tag compat-tag",
          "tag referrers-tag",
          "tag index",
        ],
      );
      // Reads only before the first write, and the tag is checked again right before the index.
      const lastHead = log
        .map((l, i) => [l, i] as const)
        .filter(([l]) => l === `HEAD ${repo}/manifests/v1`)
        .at(-1);
      const indexPut = log.indexOf(`PUT ${repo}/manifests/v1`);
      assert.ok(
        lastHead !== undefined &&
          lastHead[1] < indexPut &&
          lastHead[1] > log.indexOf(`PUT ${repo}/manifests/${compat}`),
      );
    } finally {
      await store.close();
    }
  });

  test("--dry-run reads but writes nothing, and reports the planned order", async () => {
    const image = await pushSample(registry.host, "attach/dry", "v1");
    const { log, onRequest } = requestLog();
    const store = registryStore(registry.host, "attach/dry", onRequest);
    try {
      const result = await attach(store, "v1", {
        sets: SETS,
        platform: "linux/amd64",
        dryRun: true,
      });
      assert.deepEqual(writesOf(log), []);
      assert.equal((await store.resolve("v1")).digest, image.index.desc.digest);
      assert.deepEqual(await store.listTags(), ["v1"]);
      assert.deepEqual(
        result.writes.map(
          (w) => `${w.action} ${w.role}${w.conditional ? " (if no referrers API)" : ""}`,
        ),
        [
          "blob empty",
          "blob config",
          "manifest compat-manifest",
          "tag compat-tag (if no referrers API)",
          "tag referrers-tag (if no referrers API)",
          "tag index",
        ],
      );
      assert.equal(result.dryRun, true);
      assert.equal(result.oldIndex.digest, image.index.desc.digest);
    } finally {
      await store.close();
    }
  });
});
