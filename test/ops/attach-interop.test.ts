// After an attach on the real CNCF distribution registry (2.8): unaware tools are unaffected and
// detach undoes it; an in-test registry answering OCI-Subject (the referrers API) for the anchors.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { validateDocument } from "../../src/compat/document.js";
import { createRegistryStore } from "../../src/content/registry/index.js";
import { computeDigest } from "../../src/oci/digest.js";
import { compatTag, fallbackTag } from "../../src/ops/anchors.js";
import { attach, attachFile } from "../../src/ops/attach.js";
import type { AttachResult } from "../../src/ops/attach/result.js";
import { detach } from "../../src/ops/detach.js";
import { rejectsWith, tempDir } from "../content/layout-support.js";
import { FakeRegistry, requestLog, startServer } from "../content/registry/helpers.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import {
  SETS,
  AUTHORING_YAML,
  bytesOf,
  descriptorOf,
  entries,
  jsonOf,
  platformOf,
  pushSample,
  registryStore,
  tagged,
  writeFile,
  writesOf,
  type Json,
} from "./attach-support.js";

let registry: TestRegistry;
const work = tempDir("ocicompat-attach-interop-");
let compatFile: string;

before(async () => {
  registry = await startRegistry();
  compatFile = writeFile(work.path, "compat.yaml", AUTHORING_YAML);
});

after(async () => {
  await registry.stop();
  work.remove();
});

describe("unaware tools are unaffected (issue 6 item 8)", () => {
  let image: Awaited<ReturnType<typeof pushSample>>;
  let result: AttachResult;
  const ref = () => `${registry.host}/attach/unaware:v1`;

  before(async () => {
    image = await pushSample(registry.host, "attach/unaware", "v1");
    result = await attachFile(ref(), compatFile, { all: true });
  });

  test("the new index passes strict image-spec validation", async () => {
    const store = registryStore(registry.host, "attach/unaware");
    try {
      const now = await tagged(store, "v1");
      const report = validateDocument("index", now.doc);
      assert.deepEqual(report.errors, []);
      // No warning beyond those the original index had (its arm64/v8 spelling).
      const original = validateDocument("index", JSON.parse(image.index.bytes.toString()));
      assert.deepEqual(report.warnings, original.warnings);
    } finally {
      await store.close();
    }
  });

  test("skopeo inspect --raw returns exactly the bytes ocicompat pushed", async () => {
    const store = registryStore(registry.host, "attach/unaware");
    const pushed = await bytesOf(store, result.newIndex);
    await store.close();
    assert.equal(computeDigest(pushed), result.newIndex.digest);
    const out = spawnSync("skopeo", [
      "inspect",
      "--raw",
      "--tls-verify=false",
      `docker://${ref()}`,
    ]);
    assert.equal(out.status, 0, out.stderr.toString());
    assert.equal(Buffer.compare(out.stdout, Buffer.from(pushed)), 0);
  });

  test("first-match platform selection, as a runtime without compatibilities support does it, still yields the runnable image", async () => {
    const store = registryStore(registry.host, "attach/unaware");
    try {
      const now = await tagged(store, "v1");
      const first = entries(now.doc).find((e) => {
        const p = platformOf(e);
        return p["os"] === "linux" && p["architecture"] === "amd64";
      });
      assert.equal(first?.["digest"], image.manifests[0]!.desc.digest);
      const manifest = await jsonOf(store, descriptorOf(first));
      assert.equal((manifest["layers"] as Json[]).length, 1);
    } finally {
      await store.close();
    }
    const out = spawnSync(
      "skopeo",
      [
        "inspect",
        "--override-os",
        "linux",
        "--override-arch",
        "amd64",
        "--tls-verify=false",
        `docker://${ref()}`,
      ],
      { encoding: "utf8" },
    );
    assert.equal(out.status, 0, out.stderr);
    const info = JSON.parse(out.stdout) as { Architecture: string; Layers: string[] };
    assert.equal(info.Architecture, "amd64");
    const layer = (
      JSON.parse(image.manifests[0]!.bytes.toString()) as { layers: { digest: string }[] }
    ).layers[0]!;
    assert.deepEqual(info.Layers, [layer.digest]);
  });
});

describe("detach", () => {
  test("attach then detach gives back the original index, byte for byte; the fallback index stops listing it; the .compat tag stays", async () => {
    const image = await pushSample(registry.host, "detach/roundtrip", "v1");
    const store = registryStore(registry.host, "detach/roundtrip");
    try {
      const attached = await attach(store, "v1", { sets: SETS, platform: "linux/amd64" });
      const result = await detach(store, "v1", { platform: "linux/amd64" });
      assert.equal(result.changed, true);
      assert.equal(result.oldIndex.digest, attached.newIndex.digest);
      assert.equal(result.newIndex.digest, image.index.desc.digest);
      const now = await tagged(store, "v1");
      assert.equal(Buffer.compare(Buffer.from(now.bytes), image.index.bytes), 0);
      const subject = image.manifests[0]!.desc.digest;
      const entry = result.entries[0]!;
      assert.deepEqual(
        entry.removed.map((d) => d.digest),
        [attached.entries[0]!.compatibilities.digest],
      );
      assert.equal(entry.referrersTag, fallbackTag(subject));
      assert.equal(entry.keptCompatTag, compatTag(subject));
      const referrers = await tagged(store, fallbackTag(subject));
      assert.deepEqual(entries(referrers.doc), []);
      // Order: the index first, then the referrers listing.
      assert.deepEqual(
        result.writes.map((w) => `${w.role} ${w.tag}`),
        [`index v1`, `referrers-tag ${fallbackTag(subject)}`],
      );
      // The compat manifest is still there, still tagged.
      assert.equal(
        (await store.resolve(compatTag(subject))).digest,
        attached.entries[0]!.compatManifest.digest,
      );
    } finally {
      await store.close();
    }
  });

  test("detaching what is not there writes nothing", async () => {
    const image = await pushSample(registry.host, "detach/nothing", "v1");
    const { log, onRequest } = requestLog();
    const store = registryStore(registry.host, "detach/nothing", onRequest);
    try {
      const result = await detach(store, "v1", { all: true });
      assert.equal(result.changed, false);
      assert.equal(result.newIndex.digest, image.index.desc.digest);
      assert.deepEqual(writesOf(log), []);
    } finally {
      await store.close();
    }
  });

  test("detach --dry-run writes nothing; a single-manifest tag has nothing to detach", async () => {
    const image = await pushSample(registry.host, "detach/dry", "v1");
    const store = registryStore(registry.host, "detach/dry");
    try {
      const attached = await attach(store, "v1", { sets: SETS, all: true });
      const { log, onRequest } = requestLog();
      const watched = createRegistryStore({
        registry: registry.host,
        repository: "detach/dry",
        onRequest,
      });
      const result = await detach(watched, "v1", { all: true, dryRun: true });
      await watched.close();
      assert.deepEqual(writesOf(log), []);
      assert.equal(result.entries.length, 2);
      assert.ok(
        result.entries.every((e) => e.referrersTag !== undefined && e.keptCompatTag !== undefined),
      );
      assert.equal((await store.resolve("v1")).digest, attached.newIndex.digest);
      await store.tag(image.manifests[0]!.desc, "single");
      await rejectsWith(detach(store, "single"), "NOT_FOUND", /single image manifest/);
    } finally {
      await store.close();
    }
  });
});

describe("with the referrers API (an in-test registry answering OCI-Subject; distribution 2.8 has none)", () => {
  test("auto writes no anchor tags, the subject is the anchor; --anchor tag writes both anyway; none writes none", async () => {
    const fake = new FakeRegistry({ referrersApi: true });
    const server = await startServer(fake.handler);
    const image = await pushSample(server.host, "ref/app", "v1");
    const store = registryStore(server.host, "ref/app");
    try {
      const subject = image.manifests[0]!.desc.digest;
      const auto = await attach(store, "v1", { sets: SETS, platform: "linux/amd64" });
      assert.equal(auto.entries[0]!.anchors.subjectAccepted, true);
      assert.deepEqual(
        auto.writes.map((w) => w.role),
        ["empty", "config", "compat-manifest", "index"],
      );
      assert.equal(fake.tags.has(compatTag(subject)), false);
      assert.equal(fake.tags.has(fallbackTag(subject)), false);

      const forced = await attach(store, "v1", {
        sets: SETS,
        platform: "linux/amd64",
        anchor: "tag",
      });
      assert.deepEqual(
        forced.writes.filter((w) => w.action === "tag").map((w) => w.tag),
        [compatTag(subject), fallbackTag(subject), "v1"],
      );
      const none = await attach(store, "v1", {
        sets: [{ "oci.cpu.vendor": "AuthenticAMD" }],
        platform: "linux/amd64",
        anchor: "none",
      });
      assert.deepEqual(
        none.writes.filter((w) => w.action === "tag").map((w) => w.tag),
        ["v1"],
      );
      assert.ok(none.warnings.some((w) => /--anchor none/.test(w)));
    } finally {
      await store.close();
      await server.close();
    }
  });
});
