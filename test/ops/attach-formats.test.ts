// attach on the real CNCF distribution registry (2.8): the blob format, choosing the target entry,
// wrapping a single manifest, and refusals (a moved tag, a read-only proxy, an invalid file).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { EmptyDescriptor, MediaType } from "../../src/oci/media-types.js";
import { compatTag } from "../../src/ops/anchors.js";
import { attach } from "../../src/ops/attach.js";
import { readCompatFile } from "../../src/ops/attach/compat-file.js";
import { blob, rejectsWith, tempDir } from "../content/layout-support.js";
import { ociError, startServer } from "../content/registry/helpers.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import {
  SETS,
  CREATED,
  descriptorOf,
  entries,
  jsonOf,
  platformOf,
  pushSample,
  registryStore,
  tagged,
  writeFile,
} from "./attach-support.js";

let registry: TestRegistry;
const work = tempDir("ocicompat-attach-formats-");

before(async () => {
  registry = await startRegistry();
});

after(async () => {
  await registry.stop();
  work.remove();
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
