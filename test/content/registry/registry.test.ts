// The registry store against a real CNCF distribution registry (Debian's docker-registry 2.8),
// anonymous, started once for the file: round trips, reads, copies, tag lists, what is unknown
// or refused, the referrers fallback and deletion. Blob uploads are in registry-uploads.test.ts.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { describe, test } from "node:test";
import { RegistryClient } from "../../../src/content/registry/client.js";
import { RegistryError } from "../../../src/content/registry/errors.js";
import { createRegistryStore } from "../../../src/content/registry/store.js";
import { referrersTag } from "../../../src/content/registry/documents.js";
import { copyImage } from "../../../src/ops/copy.js";
import { computeDigest } from "../../../src/oci/digest.js";
import { OcicompatError } from "../../../src/oci/errors.js";
import { EmptyDescriptor, MediaType } from "../../../src/oci/media-types.js";
import { content, fastRetry, image, index, pushImage, readStream } from "./helpers.js";
import { client, log, registry, since, startDistribution, store } from "./registry-support.js";

startDistribution();

describe("registry store against distribution 2.8", () => {
  const amd64 = image("amd64");
  const arm64 = image("arm64");
  const idx = index([
    { manifest: amd64.manifest, platform: { os: "linux", architecture: "amd64" } },
    { manifest: arm64.manifest, platform: { os: "linux", architecture: "arm64" } },
  ]);

  test("ping answers on a loopback registry over plain HTTP by default", async () => {
    assert.match(client.baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    await client.ping();
  });

  test("existence checks (HEAD) one after another reuse the connection (undici closes it after a HEAD unless told)", async () => {
    const s = store("team/keepalive");
    await pushImage(s, amd64);
    const own = new RegistryClient({ registry: registry.host, retry: fastRetry });
    const mine = createRegistryStore({ repository: "team/keepalive", client: own });
    const connections: unknown[] = [];
    const onConnected = (message: unknown): void => void connections.push(message);
    try {
      // undici's pool may open a second connection while its first is still being set up.
      assert.equal(await mine.exists(amd64.config.desc), true);
      assert.equal(await mine.exists(amd64.layer.desc), true);
      subscribe("undici:client:connected", onConnected);
      const absent = { ...amd64.layer.desc, digest: computeDigest(new Uint8Array([7])) };
      for (const desc of [amd64.manifest.desc, absent, amd64.config.desc, amd64.layer.desc]) {
        assert.equal(await mine.exists(desc), desc !== absent);
      }
      assert.equal(connections.length, 0);
    } finally {
      unsubscribe("undici:client:connected", onConnected);
      await own.close();
    }
  });

  test("a multi-platform index round-trips: blobs, manifests, index, tag", async () => {
    const s = store("team/app");
    await pushImage(s, amd64);
    await pushImage(s, arm64);
    await s.push(idx.desc, idx.bytes);
    await s.tag(idx.desc, "v1");

    const resolved = await s.resolve("v1");
    assert.deepEqual(resolved, idx.desc);
    assert.deepEqual(await s.resolve(idx.desc.digest), idx.desc);
    assert.deepEqual(await readStream(await s.fetch(idx.desc)), Buffer.from(idx.bytes));
    for (const part of [amd64.config, amd64.layer, amd64.manifest, arm64.layer]) {
      assert.deepEqual(await readStream(await s.fetch(part.desc)), Buffer.from(part.bytes));
      assert.equal(await s.exists(part.desc), true);
    }
    assert.deepEqual(await s.listTags(), ["v1"]);
  });

  test("skopeo reads the index ocicompat pushed byte for byte", () => {
    const result = spawnSync(
      "skopeo",
      ["inspect", "--raw", "--tls-verify=false", `docker://${registry.host}/team/app:v1`],
      { encoding: "buffer", timeout: 20_000 },
    );
    assert.equal(result.status, 0, result.stderr.toString());
    assert.deepEqual(result.stdout, Buffer.from(idx.bytes));
  });

  test("resolving a tag costs exactly one HEAD request", async () => {
    const s = store("team/app");
    const mark = log.length;
    await s.resolve("v1");
    assert.deepEqual(since(mark), [`HEAD /v2/team/app/manifests/v1`]);
  });

  test("a copy between repositories resolves the root with a HEAD (no metered GET when the destination has it) and writes it under its tag in one PUT, after its children", async () => {
    const from = store("team/app");
    const to = store("team/copy-requests");
    const mark = log.length;
    await copyImage({ src: from, reference: "v1", dst: to, tag: "v2" });
    const manifests = since(mark).filter((r) => r.includes("/manifests/"));
    assert.equal(manifests[0], "HEAD /v2/team/app/manifests/v1");
    const atRoot = (method: string) =>
      manifests.filter((r) => r.startsWith(method) && r.endsWith(`/manifests/${idx.desc.digest}`));
    assert.deepEqual(atRoot("PUT"), [], "the root is not written under its digest");
    assert.equal(manifests.at(-1), "PUT /v2/team/copy-requests/manifests/v2");
    assert.equal(manifests.filter((r) => r.startsWith("PUT")).length, 3, "two children, one root");
    assert.deepEqual(await to.resolve("v2"), idx.desc);

    // Again: the destination has it, so the source's manifests are not read.
    const again = log.length;
    await copyImage({ src: from, reference: "v1", dst: to, tag: "v2" });
    assert.deepEqual(
      since(again).filter((r) => r.startsWith("GET")),
      [],
      "a copy the destination holds reads nothing",
    );
  });

  test("getManifest returns descriptor and verified bytes in one GET", async () => {
    const s = store("team/app");
    const mark = log.length;
    const { descriptor, bytes } = await s.getManifest("v1");
    assert.deepEqual(descriptor, idx.desc);
    assert.deepEqual(Buffer.from(bytes), Buffer.from(idx.bytes));
    assert.equal(since(mark).length, 1);
  });

  test("exists is false for content the repository does not have", async () => {
    const s = store("team/app");
    const missing = content(MediaType.ImageLayerGzip, "not pushed");
    assert.equal(await s.exists(missing.desc), false);
    assert.equal(await s.exists(content(MediaType.ImageManifest, "{}").desc), false);
  });

  test("tag listing with a page size of 2 returns every tag even though 2.8 ignores n", async () => {
    // distribution 2.8 answers `?n=` with the whole list and no Link header; Link paging is
    // covered against the in-test server (units.test.ts).
    const s = store("team/app", { tagPageSize: 2 });
    const names = ["a1", "a2", "b1", "b2", "c1", "c2", "d1"];
    for (const name of names) await s.tag(amd64.manifest.desc, name);
    const mark = log.length;
    const tags = await s.listTags();
    assert.deepEqual([...tags].sort(), [...names, "v1"].sort());
    const pages = since(mark).filter((l) => l.includes("/tags/list"));
    assert.deepEqual(pages, ["GET /v2/team/app/tags/list?n=2"]);
  });

  test("an unknown repository is NOT_FOUND with NAME_UNKNOWN", async () => {
    const s = store("nobody/here");
    await assert.rejects(s.listTags(), (err: unknown) => {
      assert.ok(err instanceof RegistryError);
      assert.equal(err.code, "NOT_FOUND");
      assert.equal(err.status, 404);
      assert.deepEqual(err.registryCodes, ["NAME_UNKNOWN"]);
      assert.match(err.message, /repository nobody\/here not found on 127\.0\.0\.1:\d+/);
      return true;
    });
  });

  test("an unknown tag is NOT_FOUND with MANIFEST_UNKNOWN, even though HEAD has no body", async () => {
    const s = store("team/app");
    await assert.rejects(s.resolve("nope"), (err: unknown) => {
      assert.ok(err instanceof RegistryError);
      assert.equal(err.code, "NOT_FOUND");
      assert.deepEqual(err.registryCodes, ["MANIFEST_UNKNOWN"]);
      assert.match(err.message, /manifest "nope" not found in 127\.0\.0\.1:\d+\/team\/app/);
      return true;
    });
  });

  test("an unknown blob is NOT_FOUND with BLOB_UNKNOWN", async () => {
    const s = store("team/app");
    const missing = content(MediaType.ImageLayerGzip, "missing blob");
    await assert.rejects(s.fetch(missing.desc), (err: unknown) => {
      assert.ok(err instanceof RegistryError);
      assert.deepEqual(err.registryCodes, ["BLOB_UNKNOWN"]);
      assert.equal(err.code, "NOT_FOUND");
      return true;
    });
  });

  test("an index whose child is missing is refused with 400 MANIFEST_BLOB_UNKNOWN", async () => {
    const s = store("team/app");
    const ghost = image("riscv64");
    const bad = index([
      { manifest: ghost.manifest, platform: { os: "linux", architecture: "riscv64" } },
    ]);
    await assert.rejects(s.push(bad.desc, bad.bytes), (err: unknown) => {
      assert.ok(err instanceof RegistryError);
      assert.equal(err.status, 400);
      assert.ok(err.registryCodes.includes("MANIFEST_BLOB_UNKNOWN"));
      assert.equal(err.code, "REGISTRY");
      assert.match(err.message, /references content the repository does not have/);
      assert.equal(err.temporary, false);
      return true;
    });
  });

  test("manifests over the size cap are refused before their body is read", async () => {
    // 2.8 itself refuses manifest bodies over 4 MiB, so the cap is lowered to 1 MiB here; the
    // default 4 MiB cap is exercised against the in-test server (faults-lying.test.ts).
    const big = content(MediaType.ImageIndex, {
      schemaVersion: 2,
      mediaType: MediaType.ImageIndex,
      manifests: [],
      annotations: { padding: "x".repeat(1024 * 1024 + 10) },
    });
    const s = createRegistryStore({
      repository: "team/app",
      client,
      maxManifestBytes: 1024 * 1024,
    });
    await assert.rejects(s.push(big.desc, big.bytes), { code: "TOO_LARGE" });
    await store("team/app").pushManifest(big.desc, big.bytes, "huge");
    await assert.rejects(s.resolve("huge"), (err: unknown) => {
      assert.ok(err instanceof OcicompatError);
      assert.equal(err.code, "TOO_LARGE");
      assert.match(
        err.message,
        /manifest huge in 127\.0\.0\.1:\d+\/team\/app is \d+ bytes; ocicompat refuses manifests and indexes over 1048576 bytes/,
      );
      return true;
    });
    await assert.rejects(s.getManifest("huge"), { code: "TOO_LARGE" });
    await assert.rejects(s.fetch(big.desc), { code: "TOO_LARGE" });
  });

  test("a manifest's bytes are checked against the descriptor before they are sent", async () => {
    const s = store("team/app");
    const lie = {
      ...amd64.manifest.desc,
      digest: computeDigest(new TextEncoder().encode("other")),
    };
    const mark = log.length;
    await assert.rejects(s.push(lie, amd64.manifest.bytes), { code: "DIGEST_MISMATCH" });
    assert.equal(since(mark).length, 0);
  });

  test("without a referrers API (2.8) referrers fall back to the sha256-<hex> tag", async () => {
    const s = store("team/app");
    const subject = amd64.manifest.desc;
    await s.push(EmptyDescriptor, new TextEncoder().encode("{}"));
    const artifact = content(MediaType.ImageManifest, {
      schemaVersion: 2,
      mediaType: MediaType.ImageManifest,
      artifactType: MediaType.Compatibilities,
      config: EmptyDescriptor,
      layers: [EmptyDescriptor],
      subject,
    });
    const pushed = await s.pushManifest(artifact.desc, artifact.bytes);
    assert.equal(pushed.subjectAccepted, false, "2.8 sends no OCI-Subject");

    const mark = log.length;
    assert.deepEqual(await s.referrers(subject), []);
    assert.equal(s.referrersApi, false);
    assert.ok(since(mark).some((l) => l.includes("/referrers/")));

    const fallback = content(MediaType.ImageIndex, {
      schemaVersion: 2,
      mediaType: MediaType.ImageIndex,
      manifests: [{ ...artifact.desc, artifactType: MediaType.Compatibilities }],
    });
    await s.pushManifest(fallback.desc, fallback.bytes, referrersTag(subject.digest));

    const again = log.length;
    const found = await s.referrers(subject, MediaType.Compatibilities);
    assert.deepEqual(
      found.map((d) => d.digest),
      [artifact.desc.digest],
    );
    assert.deepEqual(await s.referrers(subject, "application/x-other"), []);
    assert.ok(
      !since(again).some((l) => l.includes("/referrers/")),
      "the missing API is remembered",
    );
    assert.ok(since(again).some((l) => l.includes(`/manifests/${referrersTag(subject.digest)}`)));
  });

  test("a manifest can be deleted by digest", async () => {
    const s = store("team/deletable");
    const img = image("s390x");
    await pushImage(s, img);
    assert.equal(await s.exists(img.manifest.desc), true);
    await s.delete(img.manifest.desc);
    assert.equal(await s.exists(img.manifest.desc), false);
  });
});
