// Warnings are diagnostics: they go to stderr in every output mode, so that stdout is the report
// alone and parses as the format asked for (docs/cli.md#ocicompat-cli-reference).
import assert from "node:assert/strict";
import { unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parse as parseYaml } from "yaml";
import { copyGraph } from "../../src/content/copy.js";
import { openLayout } from "../../src/content/layout.js";
import { createMemoryStore } from "../../src/content/memory.js";
import { MediaType } from "../../src/oci/media-types.js";
import { blob, pushAll, sampleImage, tempDir } from "../content/layout-support.js";
import { runCli } from "./run-cli.js";

const work = tempDir("ocicompat-cli-warnings-");
const NODE = "examples/nodes/amd-genoa.json";
const FORMATS = ["table", "json", "yaml"] as const;
let spec: string;
let layoutRef: string;
let brokenLayout: string;
let missingDigest: string;

/** stdout as the format asked for; throws when it is not. */
function parseOutput(format: (typeof FORMATS)[number], stdout: string): unknown {
  if (format === "json") return JSON.parse(stdout) as unknown;
  if (format === "yaml") return parseYaml(stdout) as unknown;
  assert.doesNotMatch(stdout, /warning:/i);
  return stdout;
}

before(async () => {
  // An unknown CPU feature name: valid, with a warning.
  spec = join(work.path, "spec.yaml");
  writeFileSync(spec, 'compatibilities:\n  - oci.cpu.features: "AVX512FOO|AVX2"\n');

  // A Proposal J blob as J's own example writes it: a string schemaVersion and a string "tags",
  // read leniently, each with a warning.
  const image = sampleImage("warnings");
  const jblob = blob(
    MediaType.Compatibilities,
    JSON.stringify({
      schemaVersion: "0.1.0",
      mediaType: MediaType.Compatibilities,
      compatibilities: [{ tags: "intel", "oci.cpu.features": "AVX2" }],
    }),
  );
  const index = JSON.parse(image.index.bytes.toString()) as {
    manifests: { platform?: Record<string, unknown> }[];
  };
  index.manifests[0]!.platform = { ...index.manifests[0]!.platform, compat: jblob.desc };
  const newIndex = blob(MediaType.ImageIndex, JSON.stringify(index));
  const src = createMemoryStore();
  await pushAll(src, [
    ...image.blobs.filter((b) => b.desc.digest !== image.index.desc.digest),
    jblob,
    newIndex,
  ]);
  const dir = join(work.path, "layout");
  await copyGraph(src, await openLayout(dir, { create: true }), newIndex.desc, { tag: "v1" });
  layoutRef = `oci:${dir}:v1`;

  // A layout whose index references a manifest that is gone.
  brokenLayout = join(work.path, "broken");
  const broken = await openLayout(brokenLayout, { create: true });
  await copyGraph(src, broken, newIndex.desc, { tag: "v1" });
  const manifest = image.blobs.find((b) => b.desc.mediaType === MediaType.ImageManifest);
  missingDigest = manifest?.desc.digest ?? "";
  unlinkSync(broken.blobPath(missingDigest));
});

after(() => work.remove());

describe("check --spec: warnings on stderr in every output mode", () => {
  for (const format of FORMATS) {
    test(`-o ${format}: stdout parses as ${format}, the warning is on stderr`, () => {
      const r = runCli(["check", "--spec", spec, "--node", NODE, "-o", format]);
      assert.equal(r.status, 0, r.stderr);
      const out = parseOutput(format, r.stdout);
      if (format !== "table") assert.equal((out as { warnings: unknown[] }).warnings.length, 1);
      assert.match(
        r.stderr,
        new RegExp(
          `^ocicompat: warning: ${spec.replaceAll(".", "\\.")}: \\$\\.compatibilities\\[0\\]\\["oci\\.cpu\\.features"\\]: .*AVX512FOO`,
          "m",
        ),
      );
    });
  }
});

describe("check REF, select and inspect: leniently read compatibilities warn on stderr in every output mode", () => {
  for (const format of FORMATS) {
    test(`check -o ${format}: stdout parses as ${format}, each warning names the entry on stderr`, () => {
      const r = runCli(["check", "--node", NODE, "-o", format, layoutRef]);
      assert.ok(r.status === 0 || r.status === 1, r.stderr);
      parseOutput(format, r.stdout);
      assert.match(
        r.stderr,
        /^ocicompat: warning: oci:.*:v1: entry 0 \(linux\/amd64, sha256:\w{12}\): blob sha256:\w{12}: \$\.\S+: /m,
      );
    });

    test(`select -o ${format}: stdout parses as ${format} (a digest for table), each warning names the entry on stderr`, () => {
      const r = runCli(["select", "--node", NODE, "-o", format, layoutRef]);
      assert.ok(r.status === 0 || r.status === 1, r.stderr);
      const out = parseOutput(format, r.stdout);
      if (format === "table" && r.status === 0)
        assert.match(out as string, /^sha256:[0-9a-f]{64}\n$/);
      const lines = r.stderr.split("\n").filter((l) => l.includes(": blob sha256:"));
      assert.ok(lines.length > 0, r.stderr);
      for (const line of lines) {
        assert.match(
          line,
          /^ocicompat: warning: oci:.*:v1: entry 0 \(linux\/amd64, sha256:\w{12}\): blob sha256:\w{12}: \$\.\S+: /,
        );
      }
    });

    test(`inspect -o ${format}: stdout parses as ${format}, each warning names the entry on stderr`, () => {
      const r = runCli(["inspect", "-o", format, layoutRef]);
      assert.equal(r.status, 0, r.stderr);
      parseOutput(format, r.stdout);
      assert.match(
        r.stderr,
        /^ocicompat: warning: oci:.*:v1: linux\/amd64 sha256:\w{12}: compatibilities: \$\.\S+: /m,
      );
    });
  }
});

describe("gc: missing blobs warn on stderr in every output mode", () => {
  for (const format of FORMATS) {
    test(`gc --dry-run -o ${format}: stdout parses as ${format}, the missing blob is on stderr`, () => {
      const r = runCli(["gc", "--dry-run", "-o", format, `oci:${brokenLayout}`]);
      assert.equal(r.status, 0, r.stderr);
      parseOutput(format, r.stdout);
      assert.match(
        r.stderr,
        new RegExp(
          `^ocicompat: warning: oci:.*: 1 referenced blob\\(s\\) are missing: ${missingDigest}$`,
          "m",
        ),
      );
    });
  }
});
