// The mirror in process against the real CNCF distribution registry, on a manifest by tag: the
// entry that fits the node (equal to selectImage's answer), the pass-through cases (Accept, plain
// index, index by digest, nothing fits, a failed selection), --on-incompatible fail, the decision
// log, re-discovery of the node and --cache-blobs. Blobs and errors: mirror-protocol.test.ts.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createStoreOpener } from "../../../src/content/open.js";
import { MediaType } from "../../../src/oci/media-types.js";
import { parseReference } from "../../../src/oci/reference.js";
import { selectImage } from "../../../src/ops/select.js";
import { tempDir } from "../../content/layout-support.js";
import { startRegistry, type TestRegistry } from "../../support/registry.js";
import { blob } from "../../content/layout-support.js";
import { indexBlob, pushToRegistry, variantImage } from "../select-support.js";
import {
  catalog,
  get,
  levelsImage,
  mirrorFor,
  OCI_ACCEPT,
  profile,
  s390xNode,
  type TestMirror,
} from "./support.js";
import { openCache } from "../../../src/content/cache.js";

const image = levelsImage("mirror");
const plain = variantImage("plain amd64", { os: "linux", architecture: "amd64" });
const plainIndex = indexBlob([
  { descriptor: plain.manifest.desc, platform: { os: "linux", architecture: "amd64" } },
]);
let registry: TestRegistry;
const cacheDir = tempDir("ocicompat-mirror-cache-");

before(async () => {
  registry = await startRegistry();
  await pushToRegistry(registry.host, "team/app", image.blobs, image.index.desc, "1.0");
  await pushToRegistry(
    registry.host,
    "team/plain",
    [...plain.blobs, plainIndex],
    plainIndex.desc,
    "1.0",
  );
});
after(async () => {
  await registry?.stop();
  cacheDir.remove();
});

describe("a manifest requested by tag", () => {
  let v3Mirror: TestMirror;
  let baseMirror: TestMirror;
  before(async () => {
    v3Mirror = await mirrorFor([registry.host], await profile("intel-spr"), {
      cache: openCache({ dir: cacheDir.path }),
    });
    baseMirror = await mirrorFor([registry.host], await profile("old-xeon"));
  });
  after(async () => {
    await v3Mirror?.close();
    await baseMirror?.close();
  });

  test("on a node that fits v3, the tag answers with the v3 manifest: its bytes, type and digest, equal to selectImage's choice", async () => {
    const answer = await get(`${v3Mirror.url}/v2/team/app/manifests/1.0`, {
      headers: { accept: OCI_ACCEPT },
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get("docker-content-digest"), image.v3.manifest.desc.digest);
    assert.equal(answer.headers.get("content-type"), MediaType.ImageManifest);
    assert.deepEqual(answer.bytes, image.v3.manifest.bytes);
    const opener = createStoreOpener();
    try {
      const selection = await selectImage({
        reference: `${registry.host}/team/app:1.0`,
        opener,
        catalog,
        profile: await profile("intel-spr"),
      });
      assert.equal(selection.chosen?.digest, answer.headers.get("docker-content-digest"));
    } finally {
      await opener.close();
    }
  });

  test("HEAD by tag names the chosen digest with an empty body, and the second request reuses the verdict", async () => {
    const answer = await get(`${v3Mirror.url}/v2/team/app/manifests/1.0`, { method: "HEAD" });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get("docker-content-digest"), image.v3.manifest.desc.digest);
    assert.equal(answer.headers.get("content-length"), String(image.v3.manifest.desc.size));
    assert.equal(answer.bytes.byteLength, 0);
    const last = v3Mirror.lines.at(-1);
    assert.equal(last?.["remembered"], true);
  });

  test("on a node that fits only the baseline, the tag answers with the baseline manifest", async () => {
    const answer = await get(`${baseMirror.url}/v2/team/app/manifests/1.0`);
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get("docker-content-digest"), image.baseline.manifest.desc.digest);
    assert.deepEqual(answer.bytes, image.baseline.manifest.bytes);
  });

  test("each decision is one JSON line: repository, tag, index digest, chosen digest and reason", () => {
    const line = baseMirror.lines.find((l) => l["event"] === "decision");
    assert.ok(line);
    assert.equal(line["repository"], "team/app");
    assert.equal(line["tag"], "1.0");
    assert.equal(line["indexDigest"], image.index.desc.digest);
    assert.equal(line["chosenDigest"], image.baseline.manifest.desc.digest);
    assert.equal(line["decision"], "chosen");
    assert.match(String(line["reason"]), /entry 0 \(linux\/amd64\) fits node old-xeon/);
    assert.doesNotThrow(() => JSON.stringify(line));
  });

  test("a client whose Accept excludes the chosen entry's media type gets the index unchanged", async () => {
    const answer = await get(`${v3Mirror.url}/v2/team/app/manifests/1.0`, {
      headers: { accept: MediaType.ImageIndex },
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get("docker-content-digest"), image.index.desc.digest);
    assert.deepEqual(answer.bytes, image.index.bytes);
    assert.equal(v3Mirror.lines.at(-1)?.["passthrough"], "accept");
  });

  test("an index with no compatibilities, features or variants passes through unchanged", async () => {
    const answer = await get(`${v3Mirror.url}/v2/team/plain/manifests/1.0`);
    assert.equal(answer.headers.get("docker-content-digest"), plainIndex.desc.digest);
    assert.deepEqual(answer.bytes, plainIndex.bytes);
    assert.equal(v3Mirror.lines.at(-1)?.["passthrough"], "plain-index");
  });

  test("an index requested by its digest gets the index bytes: a pinned digest is not redirected", async () => {
    const answer = await get(`${v3Mirror.url}/v2/team/app/manifests/${image.index.desc.digest}`);
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get("content-type"), MediaType.ImageIndex);
    assert.deepEqual(answer.bytes, image.index.bytes);
  });

  test("the containerd convention (?ns=) and the containers namespace prefix name the same upstream", async () => {
    const viaNs = await get(
      `${v3Mirror.url}/v2/team/app/manifests/1.0?ns=${encodeURIComponent(registry.host)}`,
    );
    assert.equal(viaNs.headers.get("docker-content-digest"), image.v3.manifest.desc.digest);
    const viaBlob = await get(
      `${v3Mirror.url}/v2/team/app/blobs/${image.v3.blobs[1]?.desc.digest ?? ""}?ns=${registry.host}`,
    );
    assert.deepEqual(viaBlob.bytes, image.v3.blobs[1]?.bytes);
  });
});

describe("when no entry fits", () => {
  test("passthrough (the default) serves the original index and logs a warning", async () => {
    const mirror = await mirrorFor([registry.host], s390xNode);
    try {
      const answer = await get(`${mirror.url}/v2/team/app/manifests/1.0`);
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.bytes, image.index.bytes);
      const line = mirror.lines.at(-1);
      assert.equal(line?.["level"], "warn");
      assert.equal(line?.["passthrough"], "no-entry-fits");
      assert.match(String(line?.["reason"]), /no entry fits node mainframe/);
    } finally {
      await mirror.close();
    }
  });

  test("--on-incompatible fail answers MANIFEST_UNKNOWN with a message that explains why", async () => {
    const mirror = await mirrorFor([registry.host], s390xNode, { onIncompatible: "fail" });
    try {
      const answer = await get(`${mirror.url}/v2/team/app/manifests/1.0`);
      assert.equal(answer.status, 404);
      const body = answer.json() as { errors: { code: string; message: string }[] };
      assert.equal(body.errors[0]?.code, "MANIFEST_UNKNOWN");
      assert.match(body.errors[0]?.message ?? "", /no entry fits node mainframe \(linux\/s390x\)/);
      assert.match(body.errors[0]?.message ?? "", /--on-incompatible fail/);
    } finally {
      await mirror.close();
    }
  });
});

test("re-discovering the node (SIGHUP) changes the answer for the same tag at once", async () => {
  const nodes = [await profile("old-xeon"), await profile("intel-spr")];
  let current = 0;
  const mirror = await mirrorFor([registry.host], () => Promise.resolve(nodes[current]!));
  try {
    const before = await get(`${mirror.url}/v2/team/app/manifests/1.0`);
    assert.equal(before.headers.get("docker-content-digest"), image.baseline.manifest.desc.digest);
    current = 1;
    await mirror.reloadNode();
    const afterReload = await get(`${mirror.url}/v2/team/app/manifests/1.0`);
    assert.equal(afterReload.headers.get("docker-content-digest"), image.v3.manifest.desc.digest);
  } finally {
    await mirror.close();
  }
});

describe("failing open and the blob cache", () => {
  test("a selection that fails (an image over a budget) serves the index and logs selection-failed; fail refuses", async () => {
    const open = await mirrorFor([registry.host], await profile("intel-spr"), {
      budgets: { entries: 2 },
    });
    const strict = await mirrorFor([registry.host], await profile("intel-spr"), {
      budgets: { entries: 2 },
      onIncompatible: "fail",
    });
    try {
      const served = await get(`${open.url}/v2/team/app/manifests/1.0`);
      assert.equal(served.status, 200);
      assert.deepEqual(served.bytes, image.index.bytes);
      const line = open.lines.at(-1);
      assert.equal(line?.["passthrough"], "selection-failed");
      assert.equal(line?.["level"], "warn");
      assert.match(String(line?.["reason"]), /the selection failed: .*entries/);
      const refused = await get(`${strict.url}/v2/team/app/manifests/1.0`);
      assert.equal(refused.status, 404);
      assert.match(refused.bytes.toString(), /the selection failed/);
    } finally {
      await open.close();
      await strict.close();
    }
  });

  test("an index the registry serves but that is not strict JSON (a duplicate key) is passed through, not refused", async () => {
    const text = JSON.stringify(JSON.parse(plainIndex.bytes.toString())).replace(
      '"schemaVersion":2,',
      '"schemaVersion":2,"annotations":{"a":"1","a":"2"},',
    );
    assert.match(text, /"a":"1","a":"2"/);
    const loose = blob(MediaType.ImageIndex, text);
    // ocicompat's own copy refuses such a document, so the index goes in with a plain PUT.
    await pushToRegistry(registry.host, "team/loose", plain.blobs, plain.manifest.desc, "base");
    const opener = createStoreOpener({});
    try {
      const { store } = await opener.open(parseReference(`${registry.host}/team/loose:1.0`));
      await store.push(loose.desc, loose.bytes);
      await store.tag(loose.desc, "1.0");
    } finally {
      await opener.close();
    }
    const mirror = await mirrorFor([registry.host], await profile("intel-spr"));
    try {
      const served = await get(`${mirror.url}/v2/team/loose/manifests/1.0`);
      assert.equal(served.status, 200);
      assert.deepEqual(served.bytes, loose.bytes);
      assert.match(String(mirror.lines.at(-1)?.["reason"]), /not strict JSON.*duplicate key/);
    } finally {
      await mirror.close();
    }
  });

  test("--cache-blobs serves a blob seen once from the on-disk cache, verified, without the upstream", async () => {
    const dir = tempDir("ocicompat-mirror-blob-cache-");
    const layer = image.baseline.blobs[1];
    assert.ok(layer);
    const cache = openCache({ dir: dir.path });
    const mirror = await mirrorFor([registry.host], await profile("old-xeon"), {
      cache,
      cacheBlobs: true,
    });
    try {
      const url = `${mirror.url}/v2/team/app/blobs/${layer.desc.digest}`;
      assert.deepEqual((await get(url)).bytes, layer.bytes);
      // The cache is filled once the stream has been verified, as the answer ends.
      for (let i = 0; i < 100 && !(await cache.has(layer.desc.digest)); i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const again = await get(url);
      assert.deepEqual(again.bytes, layer.bytes);
      const metrics = (await get(`${mirror.url}/metrics`)).bytes.toString();
      assert.match(metrics, /ocicompat_mirror_cache_hits_total\{cache="content"\} 1/);
      assert.match(metrics, /ocicompat_mirror_upstream_seconds_count\{operation="blob"\} 1/);
    } finally {
      await mirror.close();
      dir.remove();
    }
  });
});
