// attach and detach against the real CNCF distribution registry (2.8, no referrers API), plus an
// in-test registry for what 2.8 lacks (the referrers API's OCI-Subject answer) and an in-test
// read-only proxy.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { validateDocument } from "../../src/compat/document.js";
import { createRegistryStore } from "../../src/content/registry/index.js";
import { computeDigest } from "../../src/oci/digest.js";
import { EmptyDescriptor, MediaType } from "../../src/oci/media-types.js";
import { compatTag, fallbackTag } from "../../src/ops/anchors.js";
import { attach, attachFile } from "../../src/ops/attach.js";
import { readCompatFile } from "../../src/ops/attach/compat-file.js";
import type { AttachResult } from "../../src/ops/attach/result.js";
import { detach } from "../../src/ops/detach.js";
import { blob, rejectsWith, tempDir } from "../content/layout-support.js";
import { FakeRegistry, ociError, requestLog, startServer } from "../content/registry/helpers.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import {
  AUTHORING_YAML,
  SECOND_YAML,
  bytesOf,
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

const SETS = [{ "oci.cpu.features": "AVX2" }];
const CREATED = "2026-02-01T10:00:00Z";

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

function descriptorOf(d: unknown): { mediaType: string; digest: string; size: number } {
  const x = d as Json;
  return {
    mediaType: x["mediaType"] as string,
    digest: x["digest"] as string,
    size: x["size"] as number,
  };
}

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
      const signatureConfig = blob(MediaType.Empty, "{}");
      await store.push(signatureConfig.desc, signatureConfig.bytes);
      const signature = blob(
        MediaType.ImageManifest,
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MediaType.ImageManifest,
          artifactType: "application/vnd.dev.sigstore.bundle.v0.3+json",
          config: EmptyDescriptor,
          layers: [
            { mediaType: EmptyDescriptor.mediaType, digest: EmptyDescriptor.digest, size: 2 },
          ],
          subject,
        }),
      );
      await store.pushManifest(signature.desc, signature.bytes);
      const existing = blob(
        MediaType.ImageIndex,
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MediaType.ImageIndex,
          manifests: [
            { ...signature.desc, artifactType: "application/vnd.dev.sigstore.bundle.v0.3+json" },
          ],
        }),
      );
      await store.pushManifest(existing.desc, existing.bytes, fallbackTag(subject.digest));

      const result = await attach(store, "v1", { sets: SETS, platform: "linux/amd64" });
      const referrers = await tagged(store, fallbackTag(subject.digest));
      assert.deepEqual(
        entries(referrers.doc).map((e) => e["digest"]),
        [signature.desc.digest, result.entries[0]!.compatManifest.digest],
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
      assert.deepEqual(sequence, [
        `HEAD ${repo}/blobs/${EmptyDescriptor.digest}`,
        `POST ${repo}/blobs/uploads/`,
        `PUT ${repo}/blobs/uploads/ID`,
        `HEAD ${repo}/blobs/${config}`,
        `POST ${repo}/blobs/uploads/`,
        `PUT ${repo}/blobs/uploads/ID`,
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

describe("attach: the blob format, target selection, wrapping", () => {
  test("--format blob writes the Proposal J blob and its keeper manifest (empty config, the blob as layer, same subject)", async () => {
    const image = await pushSample(registry.host, "attach/blob", "v1");
    const store = registryStore(registry.host, "attach/blob");
    try {
      const result = await attach(store, "v1", {
        sets: SETS,
        platform: "linux/arm64",
        format: "blob",
        created: CREATED,
      });
      const entry = result.entries[0]!;
      assert.equal(entry.compatibilities.mediaType, MediaType.Compatibilities);
      const now = await tagged(store, "v1");
      const descriptor = descriptorOf(platformOf(entries(now.doc)[1])["compatibilities"]);
      assert.deepEqual(descriptor, entry.compatibilities);
      const jblob = await jsonOf(store, descriptor);
      assert.equal(jblob["mediaType"], MediaType.Compatibilities);
      assert.deepEqual(jblob["compatibilities"], SETS);

      const keeper = await jsonOf(store, entry.compatManifest);
      assert.equal(keeper["artifactType"], MediaType.Compatibilities);
      assert.deepEqual(descriptorOf(keeper["config"]), {
        mediaType: EmptyDescriptor.mediaType,
        digest: EmptyDescriptor.digest,
        size: 2,
      });
      assert.deepEqual(keeper["layers"], [descriptor]);
      assert.equal(descriptorOf(keeper["subject"]).digest, image.manifests[1]!.desc.digest);
      assert.equal(
        (await store.resolve(compatTag(image.manifests[1]!.desc.digest))).digest,
        entry.compatManifest.digest,
      );
      assert.deepEqual(
        result.writes.map((w) => `${w.action} ${w.role}`),
        [
          "blob empty",
          "blob compat-blob",
          "manifest keeper",
          "tag compat-tag",
          "tag referrers-tag",
          "tag index",
        ],
      );
    } finally {
      await store.close();
    }
  });

  test("an ambiguous platform lists the candidates; --all attaches to each; no match lists the platforms", async () => {
    const image = await pushSample(registry.host, "attach/ambiguous", "base");
    const store = registryStore(registry.host, "attach/ambiguous");
    try {
      // A second linux/amd64 entry (the arm64 manifest, relabelled; fine for a test).
      const index = blob(
        MediaType.ImageIndex,
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MediaType.ImageIndex,
          manifests: [
            { ...image.manifests[0]!.desc, platform: { architecture: "amd64", os: "linux" } },
            { ...image.manifests[1]!.desc, platform: { architecture: "x86_64", os: "linux" } },
            {
              ...image.manifests[1]!.desc,
              platform: { architecture: "arm64", os: "linux", variant: "v8" },
            },
          ],
        }),
      );
      await store.pushManifest(index.desc, index.bytes, "v1");
      await rejectsWith(
        attach(store, "v1", { sets: SETS, platform: "linux/amd64" }),
        "USAGE",
        new RegExp(
          `platform linux/amd64 has 2 candidate entries; say which with --digest, or use --all:\\n  ${image.manifests[0]!.desc.digest}  linux/amd64\\n  ${image.manifests[1]!.desc.digest}  linux/x86_64`,
        ),
      );
      await rejectsWith(
        attach(store, "v1", { sets: SETS, platform: "linux/s390x" }),
        "NOT_FOUND",
        /no entry has platform linux\/s390x; available platforms: linux\/amd64, linux\/x86_64, linux\/arm64\/v8/,
      );
      await rejectsWith(
        attach(store, "v1", { sets: SETS }),
        "USAGE",
        /the index has 3 candidate entries/,
      );
      assert.equal((await store.resolve("v1")).digest, index.desc.digest, "the tag did not move");

      const all = await attach(store, "v1", { sets: SETS, platform: "linux/amd64", all: true });
      assert.deepEqual(
        all.entries.map((e) => e.position),
        [0, 1],
      );
      // --digest names entries by manifest digest; the arm64 manifest is listed twice.
      await rejectsWith(
        attach(store, "v1", { sets: SETS, digest: image.manifests[1]!.desc.digest }),
        "USAGE",
        /has 2 candidate entries/,
      );
      const one = await attach(store, "v1", {
        sets: SETS,
        digest: image.manifests[1]!.desc.digest,
        platform: "linux/arm64",
      });
      assert.deepEqual(
        one.entries.map((e) => e.position),
        [2],
      );
    } finally {
      await store.close();
    }
  });

  test("a single-manifest tag is wrapped into a one-entry index whose platform comes from the config", async () => {
    const image = await pushSample(registry.host, "attach/single", "multi");
    const store = registryStore(registry.host, "attach/single");
    try {
      const arm = image.manifests[1]!;
      await store.tag(arm.desc, "single");
      const result = await attach(store, "single", { sets: SETS });
      assert.equal(result.wrapped, true);
      assert.equal(result.oldIndex.digest, arm.desc.digest);
      const now = await tagged(store, "single");
      assert.equal(now.desc.mediaType, MediaType.ImageIndex);
      const [entry] = entries(now.doc);
      assert.equal(entries(now.doc).length, 1);
      assert.equal(entry?.["digest"], arm.desc.digest);
      const platform = platformOf(entry);
      assert.equal(platform["architecture"], "arm64");
      assert.equal(platform["os"], "linux");
      assert.equal(platform["variant"], "v8");
      assert.equal(
        descriptorOf(platform["compatibilities"]).digest,
        result.entries[0]!.compatibilities.digest,
      );
      assert.ok(result.warnings.some((w) => /single manifest/.test(w)));
    } finally {
      await store.close();
    }
  });

  test("a tag that moves between reading and writing is refused (CONFLICT) and left where it moved", async () => {
    const image = await pushSample(registry.host, "attach/race", "v1");
    const store = registryStore(registry.host, "attach/race");
    const other = blob(
      MediaType.ImageIndex,
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ImageIndex,
        manifests: [
          { ...image.manifests[1]!.desc, platform: { architecture: "arm64", os: "linux" } },
        ],
      }),
    );
    // Another writer moves v1 while ocicompat writes the compat manifest.
    const racing = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === "pushManifest") {
          return async (
            desc: { mediaType: string; digest: string; size: number },
            bytes: Uint8Array,
            tag?: string,
          ) => {
            const result = await target.pushManifest(desc, bytes, tag);
            if (tag === undefined) await target.pushManifest(other.desc, other.bytes, "v1");
            return result;
          };
        }
        const value = Reflect.get(target, prop, receiver) as unknown;
        return typeof value === "function"
          ? (value as (...a: unknown[]) => unknown).bind(target)
          : value;
      },
    });
    try {
      await rejectsWith(
        attach(racing, "v1", { sets: SETS, platform: "linux/amd64" }),
        "CONFLICT",
        /v1 moved from sha256:\w+ to sha256:\w+ while ocicompat was writing/,
      );
      assert.equal((await store.resolve("v1")).digest, other.desc.digest);
      // REF:tag@digest is an explicit expectation, checked before anything is written.
      await rejectsWith(
        attach(store, "v1", {
          sets: SETS,
          platform: "linux/arm64",
          expect: image.index.desc.digest,
        }),
        "CONFLICT",
        /refusing to change it/,
      );
    } finally {
      await store.close();
    }
  });

  test("a read-only registry fails with the tag unchanged", async () => {
    const image = await pushSample(registry.host, "attach/readonly", "v1");
    const proxy = await startServer(async (req, res, body) => {
      if (req.method !== "GET" && req.method !== "HEAD") {
        return ociError(res, 405, "UNSUPPORTED", "the registry is in read-only mode");
      }
      const upstream = await fetch(`${registry.url}${req.url ?? "/"}`, {
        method: req.method,
        headers: { accept: String(req.headers.accept ?? "*/*") },
        ...(body.byteLength ? { body } : {}),
      });
      const headers: Record<string, string> = {};
      for (const name of ["content-type", "content-length", "docker-content-digest"]) {
        const v = upstream.headers.get(name);
        if (v !== null) headers[name] = v;
      }
      res.writeHead(upstream.status, headers);
      res.end(req.method === "HEAD" ? undefined : Buffer.from(await upstream.arrayBuffer()));
    });
    const store = registryStore(proxy.host, "attach/readonly");
    try {
      await rejectsWith(
        attach(store, "v1", { sets: SETS, platform: "linux/amd64" }),
        "REGISTRY",
        /read-only/,
      );
      const direct = registryStore(registry.host, "attach/readonly");
      assert.equal((await direct.resolve("v1")).digest, image.index.desc.digest);
      assert.deepEqual(await direct.listTags(), ["v1"]);
      await direct.close();
    } finally {
      await store.close();
      await proxy.close();
    }
  });

  test("a compat file that fails validation is refused with every problem listed", async () => {
    const bad = writeFile(
      work.path,
      "bad.yaml",
      `compatibilities:\n  - oci.os.glibc: ">=2.31 <="\n    oci.cpu.count: [4]\n  - {}\n`,
    );
    await assert.rejects(readCompatFile(bad), (err: unknown) => {
      const e = err as { code: string; issues: { path: string }[] };
      assert.equal(e.code, "VALIDATION");
      assert.ok(e.issues.length >= 3, JSON.stringify(e.issues));
      return true;
    });
    await rejectsWith(
      readCompatFile(writeFile(work.path, "index.json", '{"schemaVersion":2,"manifests":[]}')),
      "VALIDATION",
      /not a compatibilities file/,
    );
  });
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
