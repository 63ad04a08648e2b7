// `ocicompat infer` and `attach --infer` as a user runs them: exit 0 for a sound image, 1 for a
// broken one (arm64 binaries in the amd64 entry), 2 for usage; the YAML it prints is a file
// `attach --file` takes as it is.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { copyGraph } from "../../src/content/copy.js";
import { openLayout } from "../../src/content/layout.js";
import { createMemoryStore } from "../../src/content/memory.js";
import { pushAll, tempDir } from "../content/layout-support.js";
import {
  buildImage,
  compilePrograms,
  debianBase,
  type BuiltImage,
  type Programs,
} from "../support/infer-images.js";
import { hasStackTrace, runCli } from "./run-cli.js";

const dir = tempDir("ocicompat-cli-infer-");
let programs: Programs;

async function layoutOf(built: BuiltImage, name: string): Promise<string> {
  const mem = createMemoryStore();
  await pushAll(mem, built.blobs);
  const path = join(dir.path, name);
  const layout = await openLayout(path, { create: true });
  await copyGraph(mem, layout, built.index.desc, { tag: "v1" });
  return path;
}

let good: string;
let broken: string;

before(async () => {
  programs = compilePrograms();
  good = await layoutOf(
    await buildImage([
      {
        platform: { os: "linux", architecture: "amd64", variant: "v3" },
        layers: [
          { items: debianBase(programs), compression: "gzip" },
          { items: [{ path: "usr/bin/app", file: programs.v3WithNote }], compression: "zstd" },
        ],
        entrypoint: ["app"],
      },
      {
        platform: { os: "linux", architecture: "arm64" },
        layers: [{ items: [{ path: "app", file: programs.arm64 }], compression: "gzip" }],
        entrypoint: ["/app"],
      },
    ]),
    "good",
  );
  broken = await layoutOf(
    await buildImage([
      {
        platform: { os: "linux", architecture: "amd64" },
        layers: [
          { items: debianBase(programs), compression: "gzip" },
          { items: [{ path: "usr/bin/app", file: programs.arm64 }], compression: "gzip" },
        ],
        entrypoint: ["/usr/bin/app"],
      },
    ]),
    "broken",
  );
});

after(() => {
  programs?.remove();
  dir.remove();
});

describe("ocicompat infer", () => {
  it("prints an authoring file with evidence comments that attach --file accepts as it is", () => {
    const inferred = runCli(["infer", `oci:${good}:v1`, "--platform", "linux/amd64/v3"]);
    assert.equal(inferred.status, 0, inferred.stderr);
    assert.match(inferred.stdout, /^# .*NT_GNU_ABI_TAG Linux \d+\.\d+\.\d+$/m);
    assert.match(inferred.stdout, /oci\.cpu\.features: "X86_64_V3"/);
    const file = join(dir.path, "inferred.yaml");
    writeFileSync(file, inferred.stdout);
    const attached = runCli([
      "attach",
      `oci:${good}:v1`,
      "--platform",
      "linux/amd64/v3",
      "-f",
      file,
    ]);
    assert.equal(attached.status, 0, attached.stderr);
    assert.match(attached.stdout, /attached compatibilities/);
  });

  it("exits 1 with the finding on stderr for arm64 binaries in the amd64 entry", () => {
    const result = runCli(["infer", `oci:${broken}:v1`]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /error: architecture-mismatch: .*\/usr\/bin\/app/);
    assert.equal(hasStackTrace(result.stderr), false);
  });

  it("gives findings and rules of every entry with -o json", () => {
    const result = runCli(["infer", `oci:${good}:v1`, "-o", "json"]);
    assert.equal(result.status, 0, result.stderr);
    const json = JSON.parse(result.stdout) as { entries: { platformText: string }[] };
    assert.deepEqual(
      json.entries.map((e) => e.platformText),
      ["linux/amd64/v3", "linux/arm64"],
    );
  });

  it("refuses YAML for several entries without --platform, and bad bounds, with exit 2", () => {
    const several = runCli(["infer", `oci:${good}:v1`]);
    assert.equal(several.status, 2);
    assert.match(several.stderr, /--platform/);
    const bad = runCli(["infer", `oci:${good}:v1`, "--head-bytes", "lots"]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--head-bytes/);
  });
});

describe("ocicompat attach --infer", () => {
  it("shows the merged sets with --dry-run and writes nothing", () => {
    const result = runCli(["attach", `oci:${good}:v1`, "--all", "--infer", "--dry-run"]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /oci\.kernel\.version: ">=\d+\.\d+\.\d+"/);
    assert.match(result.stdout, /\(not written\)/);
  });

  it("exits 1 and attaches nothing to a broken image", () => {
    const result = runCli(["attach", `oci:${broken}:v1`, "--infer"]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /nothing was attached/);
  });

  it("needs --file or --infer", () => {
    const result = runCli(["attach", `oci:${good}:v1`, "--all"]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /--file, --infer/);
  });
});
