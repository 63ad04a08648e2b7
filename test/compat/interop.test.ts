// Reading the compatibilities documents that exist (issue #14.1, #14.2): the proposals' own
// examples and compspec's ocifit file, as their sources publish them (test/fixtures/interop).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { buildCompatBlob } from "../../src/compat/build.js";
import { createCatalog } from "../../src/compat/catalog.js";
import { readDocumentLeniently, validateDocument } from "../../src/compat/document.js";
import { readSets } from "../../src/compat/sets.js";
import { isOcicompatError } from "../../src/oci/errors.js";
import { parseIJson, parseIJsonText } from "../../src/oci/ijson.js";
import type { Json } from "../../src/oci/json-value.js";

const FIXTURES = new URL("../fixtures/interop/", import.meta.url);
const text = (name: string): string => readFileSync(new URL(name, FIXTURES), "utf8");
const catalog = createCatalog();

/** Proposal J's example without its trailing comma: the only change that makes it JSON. */
function proposalJ(): unknown {
  return parseIJsonText(text("proposal-j-compatibilities.json").replace(/",\n {2}}/, '"\n  }'));
}

function paths(issues: readonly { path: string }[]): string[] {
  return issues.map((i) => i.path);
}

describe("Proposal J's example blob", () => {
  test("as published (trailing comma) it is a clear INVALID_JSON error, not a crash", () => {
    assert.throws(
      () => parseIJson(new TextEncoder().encode(text("proposal-j-compatibilities.json"))),
      (err: unknown) => isOcicompatError(err) && err.code === "INVALID_JSON",
    );
  });

  test("without the comma it is valid, with a warning per deviation naming its JSON path", () => {
    const report = validateDocument("compat", proposalJ(), { catalog });
    assert.deepEqual(report.errors, []);
    const warned = paths(report.warnings);
    assert.ok(warned.includes("$.compatibilities[0].tags"), warned.join(" "));
    assert.ok(warned.includes("$.compatibilities[1].tags"), warned.join(" "));
    assert.ok(warned.includes('$.annotations["oci.opencontainers.image.created"]'));
    // The string schemaVersion is what J writes: no warning for it.
    assert.ok(!warned.includes("$.schemaVersion"));
  });

  test("tags as one string are read as a one-element list, the created typo as the created time", () => {
    const { value } = readDocumentLeniently("compat", proposalJ(), { catalog });
    const doc = value as { compatibilities: Json[]; annotations: Record<string, string> };
    assert.deepEqual(
      readSets(doc.compatibilities).map((s) => s.tags),
      [["intel"], ["amd"]],
    );
    assert.equal(doc.annotations["org.opencontainers.image.created"], "2024-06-12T03:04:05Z");
  });

  test("an integer schemaVersion (what ocicompat used to write) is read with a warning", () => {
    const doc = { ...(proposalJ() as Json), schemaVersion: 1 };
    const report = validateDocument("compat", doc, { catalog });
    assert.deepEqual(report.errors, []);
    assert.match(
      report.warnings.find((w) => w.path === "$.schemaVersion")?.message ?? "",
      /integer 1; Proposal J writes the string "0\.1\.0"/,
    );
  });

  test("J's `schema` string property is accepted, and a non-string schema is an error", () => {
    const ok = validateDocument("compat", { ...(proposalJ() as Json), schema: "x" }, { catalog });
    assert.deepEqual(ok.errors, []);
    const bad = validateDocument("compat", { ...(proposalJ() as Json), schema: 3 }, { catalog });
    assert.deepEqual(paths(bad.errors), ["$.schema"]);
  });
});

describe("compspec/ocifit's J blob", () => {
  test("boolean label values are read as strings, each with a warning", () => {
    const raw = parseIJsonText(text("ocifit-lammps-reax-rocky-8-mpich-nfd.json"));
    const { report, value } = readDocumentLeniently("compat", raw, { catalog });
    assert.deepEqual(report.errors, []);
    const warned = paths(report.warnings);
    assert.ok(warned.includes('$.compatibilities[0]["compspec.gpu"]'), warned.join(" "));
    assert.ok(warned.includes('$.compatibilities[0]["compspec.low_latency_networking"]'));
    const [set] = readSets((value as { compatibilities: Json[] }).compatibilities);
    assert.equal(set?.labels["compspec.gpu"], "false");
    assert.equal(set?.labels["compspec.low_latency_networking"], "true");
  });

  test("a fractional number stays an error: its digits as written are gone", () => {
    const report = validateDocument(
      "compat",
      { compatibilities: [{ "oci.os.glibc": 2.3 }] },
      { catalog },
    );
    assert.deepEqual(paths(report.errors), ['$.compatibilities[0]["oci.os.glibc"]']);
  });
});

describe("Proposal I's config and index fields", () => {
  test("the example config validates, with its single-string tags as warnings", () => {
    const report = validateDocument("config", parseIJsonText(text("proposal-i-config.json")), {
      catalog,
    });
    assert.deepEqual(report.errors, []);
    assert.ok(paths(report.warnings).includes("$.config.compatibilities[0].tags"));
  });

  test("a config without architecture and os (final Proposal I) is read with a warning each", () => {
    const config = parseIJsonText(text("proposal-i-config.json")) as Json;
    delete config["architecture"];
    delete config["os"];
    const report = validateDocument("config", config, { catalog });
    assert.deepEqual(report.errors, []);
    assert.ok(paths(report.warnings).includes("$.architecture"));
    assert.ok(paths(report.warnings).includes("$.os"));
  });

  test("Proposal J's index example (compat pointing at a blob) is valid", () => {
    const report = validateDocument("index", parseIJsonText(text("proposal-j-index.json")));
    assert.deepEqual(report.errors, []);
  });

  test("compat pointing at a compatibilities manifest (final Proposal I) is valid: the media type decides", () => {
    const index = parseIJsonText(text("proposal-j-index.json")) as {
      manifests: { platform: { compat: { mediaType: string } } }[];
    };
    const entry = index.manifests[0];
    assert.ok(entry);
    entry.platform.compat.mediaType = "application/vnd.oci.image.manifest.v1+json";
    assert.deepEqual(validateDocument("index", index).errors, []);
    entry.platform.compat.mediaType = "application/json";
    assert.deepEqual(paths(validateDocument("index", index).errors), [
      "$.manifests[0].platform.compat.mediaType",
    ]);
  });
});

describe("writing J blobs the way J's example does", () => {
  test('schemaVersion "0.1.0", tags as a list, the org.opencontainers created annotation', () => {
    const built = buildCompatBlob(
      [{ "oci.cpu.vendor": "GenuineIntel", tags: "intel" }],
      { "oci.opencontainers.image.created": "2024-01-01T00:00:00Z", other: "kept" },
      "2026-12-06T00:00:00Z",
    );
    const doc = JSON.parse(new TextDecoder().decode(built.bytes)) as Json;
    assert.equal(doc["schemaVersion"], "0.1.0");
    assert.deepEqual((doc["compatibilities"] as Json[])[0]?.["tags"], ["intel"]);
    assert.deepEqual(doc["annotations"], {
      other: "kept",
      "org.opencontainers.image.created": "2026-12-06T00:00:00Z",
    });
    // What ocicompat writes reads back without a single warning, so --strict accepts it.
    assert.deepEqual(validateDocument("compat", doc, { catalog }), { errors: [], warnings: [] });
  });
});
