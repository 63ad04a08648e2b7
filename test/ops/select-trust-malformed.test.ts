// Issue #12 for selectImage, on malformed documents: descriptors checked before they are followed,
// and errors that name their document. In OCI layouts, which hold what a registry would refuse,
// and in the real CNCF distribution registry where it accepts the document. Helpers in
// select-trust-support.ts.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { computeDigest } from "../../src/oci/digest.js";
import { ValidationError } from "../../src/oci/errors.js";
import { MediaType } from "../../src/oci/media-types.js";
import { blob } from "../content/layout-support.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import { indexBlob, pushRaw, variantImage } from "./select-support.js";
import { layoutImage, select, selectError, work } from "./select-trust-support.js";

let registry: TestRegistry;

before(async () => {
  registry = await startRegistry();
});

after(async () => {
  await registry.stop();
  work.remove();
});

describe("descriptors are checked before they are followed", () => {
  const generic = variantImage("follow generic", { os: "linux", architecture: "amd64" });
  const tuned = variantImage("follow tuned", { os: "linux", architecture: "amd64", variant: "v3" });
  const hex = tuned.manifest.desc.digest.slice("sha256:".length);

  test("an index entry with a malformed digest or size fails the whole image with its JSON path, never a selected digest", async () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      [
        "short",
        { digest: "sha256:abc" },
        /\$\.manifests\[1\]\.digest: sha256 digest must be 64 lowercase hex/,
      ],
      [
        "upper",
        { digest: `sha256:${hex.toUpperCase()}` },
        /\$\.manifests\[1\]\.digest: sha256 digest must be 64/,
      ],
      ["md5", { digest: "md5:" }, /\$\.manifests\[1\]\.digest: /],
      [
        "sha512",
        { digest: `sha512:${hex}` },
        /\$\.manifests\[1\]\.digest: sha512 digest must be 128/,
      ],
      ["huge", { digest: `sha256:${"a".repeat(1_000_000)}` }, /\$\.manifests\[1\]\.digest: /],
      ["size", { size: "100" }, /\$\.manifests\[1\]\.size: must be a non-negative integer/],
    ];
    for (const [name, change, message] of cases) {
      const index = blob(
        MediaType.ImageIndex,
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MediaType.ImageIndex,
          manifests: [
            { ...generic.manifest.desc, platform: { os: "linux", architecture: "amd64" } },
            {
              ...tuned.manifest.desc,
              ...change,
              platform: { os: "linux", architecture: "amd64", variant: "v4" },
            },
          ],
        }),
      );
      // A registry refuses such an index; a layout (or a hostile registry) can hold it.
      const ref = await layoutImage(
        `malformed-${name}`,
        [...generic.blobs, ...tuned.blobs, index],
        index,
      );
      const err = await selectError(ref);
      assert.ok(err instanceof ValidationError, `${name}: ${String(err)}`);
      assert.equal(err.subject, ref);
      assert.match(err.issues.map((i) => `${i.path}: ${i.message}`).join("\n"), message, name);
      assert.ok(err.message.length < 400, `${name}: the message stays short`);
    }
  });

  test("a malformed compatibilities descriptor excludes only its entry, with a warning naming its JSON path", async () => {
    const index = indexBlob([
      { descriptor: generic.manifest.desc, platform: { os: "linux", architecture: "amd64" } },
      {
        descriptor: tuned.manifest.desc,
        platform: {
          os: "linux",
          architecture: "amd64",
          variant: "v3",
          compatibilities: { mediaType: MediaType.ImageManifest, digest: "sha256:abc", size: 10 },
        },
      },
    ]);
    // The registry accepts it: nothing checks inside platform.
    await pushRaw(
      registry.host,
      "follow/compat",
      [...generic.blobs, ...tuned.blobs, index],
      index.desc,
      "v1",
    );
    const { selection } = await select(`${registry.host}/follow/compat:v1`);
    assert.equal(selection.chosen?.digest, generic.manifest.desc.digest);
    assert.equal(selection.entries[1]?.excludedBy, "compatibilities");
    assert.match(
      selection.warnings[0] ?? "",
      /\$\.manifests\[1\]\.platform\.compatibilities\.digest: sha256 digest must be 64/,
    );
  });

  test("a manifest whose config descriptor is malformed fails the image", async () => {
    const config = blob(
      MediaType.ImageConfig,
      JSON.stringify({ os: "linux", architecture: "amd64" }),
    );
    const manifest = blob(
      MediaType.ImageManifest,
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ImageManifest,
        config: { ...config.desc, digest: `sha512:${config.desc.digest.slice(7)}` },
        layers: [],
      }),
    );
    const ref = await layoutImage("bad-config", [config, manifest], manifest);
    const err = await selectError(ref);
    assert.ok(err instanceof ValidationError);
    assert.match(err.subject ?? "", new RegExp(`manifest ${manifest.desc.digest}`));
    assert.equal(err.issues[0]?.path, "$.config.digest");
  });
});

describe("errors name the document they are about", () => {
  test("an index that is not JSON: the error names its digest", async () => {
    const junk = blob(MediaType.ImageIndex, "{ not json");
    const ref = await layoutImage("junk-index", [junk], junk);
    const err = await selectError(ref);
    assert.equal(err.code, "INVALID_JSON");
    assert.equal(err.subject, junk.desc.digest);
  });

  test("a compatibilities config that is not JSON: the warning names the config's digest", async () => {
    const a = variantImage("junk config", { os: "linux", architecture: "amd64" });
    const config = blob(MediaType.ImageConfig, "{ not json");
    const manifest = blob(
      MediaType.ImageManifest,
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ImageManifest,
        artifactType: MediaType.Compatibilities,
        config: config.desc,
        layers: [{ mediaType: MediaType.Empty, digest: computeDigest(Buffer.from("{}")), size: 2 }],
      }),
    );
    const empty = blob(MediaType.Empty, "{}");
    const index = indexBlob([
      {
        descriptor: a.manifest.desc,
        platform: { os: "linux", architecture: "amd64", compatibilities: manifest.desc },
      },
    ]);
    const ref = await layoutImage(
      "junk-config",
      [...a.blobs, config, empty, manifest, index],
      index,
    );
    const { selection } = await select(ref);
    assert.equal(selection.chosen, null);
    assert.match(selection.warnings[0] ?? "", new RegExp(`${config.desc.digest}: `));
  });
});
