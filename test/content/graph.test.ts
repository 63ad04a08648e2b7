import assert from "node:assert/strict";
import { test } from "node:test";
import { successors } from "../../src/content/graph.js";
import { computeDigest } from "../../src/oci/digest.js";
import { MediaType } from "../../src/oci/media-types.js";

const enc = new TextEncoder();
const d = (name: string, mediaType: string = MediaType.ImageManifest) => ({
  mediaType,
  digest: computeDigest(enc.encode(name)),
  size: name.length,
});

test("an index's successors put each entry's compat descriptors before the entry", () => {
  const compat = d("compat-manifest");
  const blob = d("compat-blob", MediaType.Compatibilities);
  const a = d("a");
  const b = d("b");
  const index = {
    schemaVersion: 2,
    manifests: [
      { ...a, platform: { os: "linux", architecture: "amd64", compatibilities: compat } },
      { ...b, platform: { os: "linux", architecture: "arm64", compat: blob } },
    ],
  };
  const { children } = successors(
    { mediaType: MediaType.ImageIndex, digest: "sha256:x", size: 1 },
    enc.encode(JSON.stringify(index)),
  );
  assert.deepEqual(
    children.map((c) => c.digest),
    [compat.digest, a.digest, blob.digest, b.digest],
  );
});

test("a manifest's successors are its config and layers; its subject is reported apart", () => {
  const config = d("config", MediaType.ImageConfig);
  const layer = d("layer", MediaType.ImageLayerGzip);
  const subject = d("subject");
  const manifest = { schemaVersion: 2, config, layers: [layer, layer], subject };
  const s = successors(
    { mediaType: MediaType.ImageManifest, digest: "sha256:x", size: 1 },
    enc.encode(JSON.stringify(manifest)),
  );
  assert.deepEqual(
    s.children.map((c) => c.digest),
    [config.digest, layer.digest],
  );
  assert.equal(s.subject?.digest, subject.digest);
});

test("blobs have no successors and are not parsed", () => {
  assert.deepEqual(
    successors(
      { mediaType: MediaType.ImageLayerGzip, digest: "sha256:x", size: 1 },
      new Uint8Array([0xff, 0x00]),
    ).children,
    [],
  );
});

test("a manifest with duplicate keys is refused rather than followed", () => {
  assert.throws(
    () =>
      successors(
        { mediaType: MediaType.ImageManifest, digest: "sha256:x", size: 1 },
        enc.encode('{"config":{},"config":{}}'),
      ),
    /duplicate key/,
  );
});
