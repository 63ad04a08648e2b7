// selectEntries: compatibilities, score and specificity, tags, dangling or corrupt compatibilities,
// skipped and nested entries, the --platform override, and the report of every entry.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { EntryCompat, SelectionEntryInput } from "../../src/compat/select/input.js";
import { MediaType } from "../../src/oci/media-types.js";
import { digest, entry, entryPlatform, INTEL, run, sets } from "./select-support.js";

describe("selectEntries", () => {
  test("an entry without compatibilities passes that step; the more specific passing entry wins", () => {
    const r = run([entry("linux/amd64"), entry("linux/amd64/v3"), entry("linux/arm64")]);
    assert.deepEqual(r.ranking, [1, 0]);
    assert.equal(r.chosen?.index, 1);
    assert.deepEqual(
      r.entries.map((e) => [e.status, e.rank, e.specificity?.variant]),
      [
        ["compatible", 2, 0],
        ["chosen", 1, 2],
        ["excluded", undefined, undefined],
      ],
    );
    assert.equal(r.nodePlatform, "linux/amd64/v3");
  });

  test("score beats specificity", () => {
    const r = run([
      entry("linux/amd64/v3", {
        platform: { ...entryPlatform("linux/amd64/v3"), features: ["avx2", "bmi2"] },
        compat: sets({ "oci.cpu.features": "AVX2", "oci.os.glibc": ">=2.31", score: 1 }),
      }),
      entry("linux/amd64", { compat: sets({ "oci.cpu.vendor": "GenuineIntel", score: 5 }) }),
    ]);
    assert.equal(r.chosen?.index, 1);
    assert.deepEqual(
      r.entries.map((e) => [e.score, e.specificity]),
      [
        [1, { variant: 2, features: 2, osFeatures: 0, labels: 2 }],
        [5, { variant: 0, features: 0, osFeatures: 0, labels: 1 }],
      ],
    );
  });

  test("specificity compares the variant, then platform.features, then os.features, then labels", () => {
    const r = run([
      entry("linux/amd64", {
        compat: sets({ "oci.cpu.features": "AVX2", "oci.cpu.vendor": "GenuineIntel" }),
      }),
      entry({ ...entryPlatform("linux/amd64/v2"), features: ["avx2"] }),
      entry("linux/amd64/v3", { compat: sets({ "oci.cpu.features": "FMA" }) }),
    ]);
    assert.deepEqual(
      r.entries.map((e) => e.specificity),
      [
        { variant: 0, features: 0, osFeatures: 0, labels: 2 },
        { variant: 1, features: 1, osFeatures: 0, labels: 0 },
        { variant: 2, features: 0, osFeatures: 0, labels: 1 },
      ],
    );
    assert.deepEqual(r.ranking, [2, 1, 0]);
  });

  test("equal score and specificity keep index order", () => {
    const r = run([entry("linux/amd64/v2"), entry("linux/x86_64/v2"), entry("linux/amd64/v2")]);
    assert.deepEqual(r.ranking, [0, 1, 2]);
  });

  test("the score of an entry is that of its best passing set", () => {
    const r = run([
      entry("linux/amd64", {
        compat: sets(
          { "oci.cpu.vendor": "AuthenticAMD", score: 50 },
          { "oci.cpu.vendor": "GenuineIntel", score: 7 },
          { "oci.os.glibc": ">=2.30", score: 3 },
        ),
      }),
    ]);
    assert.equal(r.entries[0]?.score, 7);
    assert.equal(r.entries[0]?.compat?.result?.bestSet, 1);
  });

  test("a native entry is chosen before an architecture fallback, whatever the score", () => {
    const r = run([
      entry("linux/386", { compat: sets({ "oci.cpu.vendor": "GenuineIntel", score: 100 }) }),
      entry("linux/amd64"),
    ]);
    assert.deepEqual(r.ranking, [1, 0]);
    const only = run([entry("linux/386")]);
    assert.equal(only.chosen?.index, 0);
    assert.equal(only.entries[0]?.native, false);
    assert.match(only.entries[0]?.reasons[0]?.message ?? "", /fallback \(386 on amd64\)/);
  });

  test("Proposal E features the node lacks exclude the entry, and are listed", () => {
    const r = run([
      entry({ ...entryPlatform("linux/amd64/v3"), features: ["avx2", "avx512f", "amx"] }),
    ]);
    const e = r.entries[0];
    assert.equal(e?.excludedBy, "features");
    assert.deepEqual(e?.missingFeatures, ["avx512f", "amx"]);
    assert.equal(r.chosen, null);
    assert.equal(r.compatible, false);
  });

  test("a failing set excludes with the failing label; an unknown label does not pass", () => {
    const r = run([
      entry("linux/amd64", { compat: sets({ "oci.os.glibc": ">=2.38" }) }),
      entry("linux/amd64", { compat: sets({ "oci.pci.devices": "15b3.*" }) }),
    ]);
    assert.equal(r.chosen, null);
    assert.match(
      r.entries[0]?.reasons[0]?.message ?? "",
      /set 0 fail \(oci\.os\.glibc: needs >=2\.38; node has 2\.35/,
    );
    assert.match(
      r.entries[1]?.reasons[0]?.message ?? "",
      /set 0 unknown \(oci\.pci\.devices: node has no fact/,
    );
    const glibc = r.entries[0]?.compat?.result?.sets[0]?.labels[0];
    assert.deepEqual(
      {
        label: glibc?.label,
        required: glibc?.required,
        observed: glibc?.observed,
        status: glibc?.status,
      },
      { label: "oci.os.glibc", required: ">=2.38", observed: "2.35", status: "fail" },
    );
  });

  test("--tags: only sets carrying a tag count; an entry with no such set is excluded", () => {
    const compat = sets(
      { "oci.cpu.vendor": "GenuineIntel", tags: ["intel"] },
      { "oci.cpu.vendor": "AuthenticAMD", tags: "amd" },
    );
    assert.equal(
      run([entry("linux/amd64", { compat })], INTEL, { tags: ["intel"] }).compatible,
      true,
    );
    const amd = run([entry("linux/amd64", { compat })], INTEL, { tags: ["amd"] });
    assert.equal(amd.compatible, false);
    const none = run([entry("linux/amd64", { compat })], INTEL, { tags: ["gpu"] });
    assert.match(none.entries[0]?.reasons[0]?.message ?? "", /no compatibility set is considered/);
    // An entry without compatibilities is not affected by tags.
    assert.equal(run([entry("linux/amd64")], INTEL, { tags: ["gpu"] }).compatible, true);
  });

  test("dangling or corrupt compatibilities exclude the entry with a warning naming the digest", () => {
    const ghost = "sha256:" + "ab".repeat(32);
    const dangling: EntryCompat = {
      state: "unreadable",
      form: "manifest",
      descriptor: { mediaType: MediaType.ImageManifest, digest: ghost, size: 10 },
      problem: "dangling: manifest unknown",
    };
    const r = run([entry("linux/amd64/v3", { compat: dangling }), entry("linux/amd64")]);
    assert.equal(r.entries[0]?.status, "excluded");
    assert.equal(r.entries[0]?.excludedBy, "compatibilities");
    assert.equal(r.entries[0]?.compat?.state, "unreadable");
    assert.equal(r.chosen?.index, 1);
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0] ?? "", new RegExp(`${ghost}.*dangling: manifest unknown.*excluded`));
    // On an entry whose platform does not run here, it is still a loud problem of the image.
    const arm = run([entry("linux/arm64", { compat: dangling })]);
    assert.equal(arm.entries[0]?.excludedBy, "platform");
    assert.equal(arm.warnings.length, 1);
  });

  test("attestations, artifacts and unknown media types are skipped; entries without a platform excluded", () => {
    const r = run([
      entry("unknown/unknown"),
      entry("linux/amd64", {
        descriptor: {
          mediaType: MediaType.ImageManifest,
          digest: digest(),
          size: 1,
          annotations: { "vnd.docker.reference.type": "attestation-manifest" },
        },
      }),
      entry("linux/amd64", {
        descriptor: { mediaType: "application/vnd.example+json", digest: digest(), size: 1 },
      }),
      entry("linux/amd64", {
        descriptor: {
          mediaType: MediaType.ImageManifest,
          digest: digest(),
          size: 1,
          artifactType: "application/spdx+json",
        },
      }),
      entry(undefined),
      entry("linux/amd64", {
        descriptor: { mediaType: MediaType.DockerManifest, digest: digest(), size: 1 },
      }),
    ]);
    assert.deepEqual(
      r.entries.map((e) => e.status),
      ["skipped", "skipped", "skipped", "skipped", "excluded", "chosen"],
    );
    assert.match(r.entries[0]?.reasons[0]?.message ?? "", /unknown\/unknown/);
    assert.match(r.entries[1]?.reasons[0]?.message ?? "", /attestation manifest/);
    assert.match(r.entries[2]?.reasons[0]?.message ?? "", /application\/vnd\.example\+json/);
    assert.match(r.entries[4]?.reasons[0]?.message ?? "", /no platform/);
  });

  test("nested indexes: their entries follow, depth first, with their paths; unreadable ones warn", () => {
    const nested = (children: SelectionEntryInput[], extra: Partial<SelectionEntryInput> = {}) =>
      entry(undefined, {
        descriptor: { mediaType: MediaType.ImageIndex, digest: digest(), size: 300 },
        children,
        ...extra,
      });
    const r = run([
      entry("linux/arm64"),
      nested([entry("linux/amd64"), nested([entry("linux/amd64/v3")])]),
      nested([], { problem: "dangling: manifest unknown" }),
      entry("linux/amd64/v2"),
    ]);
    assert.deepEqual(
      r.entries.map((e) => [e.path.join("."), e.status]),
      [
        ["0", "excluded"],
        ["1", "nested"],
        ["1.0", "compatible"],
        ["1.1", "nested"],
        ["1.1.0", "chosen"],
        ["2", "excluded"],
        ["3", "compatible"],
      ],
    );
    assert.equal(r.chosen?.index, 4);
    assert.deepEqual(r.ranking, [4, 6, 2]);
    assert.equal(r.entries[5]?.excludedBy, "unreadable");
    assert.equal(r.warnings.length, 1);
  });

  test("the --platform override applies", () => {
    const r = run([entry("linux/amd64"), entry("linux/arm64")], INTEL, { platform: "linux/arm64" });
    assert.equal(r.chosen?.index, 1);
    assert.equal(r.nodePlatform, "linux/arm64");
  });

  test("the result is plain JSON", () => {
    const r = run([
      entry("linux/amd64", { compat: sets({ "oci.cpu.vendor": "GenuineIntel" }) }),
      entry("linux/arm64"),
    ]);
    assert.deepEqual(JSON.parse(JSON.stringify(r)), r);
  });
});
