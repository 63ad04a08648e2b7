import assert from "node:assert/strict";
import { mkdtempSync, truncateSync, writeFileSync, closeSync, openSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { rmSync } from "node:fs";
import { hasStackTrace, runCli } from "./run-cli.js";

const dir = mkdtempSync(join(tmpdir(), "ocicompat-cli-validate-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const DIGEST = `sha256:${"a".repeat(64)}`;
const goodIndex = JSON.stringify({
  schemaVersion: 2,
  mediaType: "application/vnd.oci.image.index.v1+json",
  manifests: [
    {
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      digest: DIGEST,
      size: 10,
      platform: { os: "linux", architecture: "amd64" },
    },
  ],
});

function expectOneLineFailure(status: number, args: string[], pattern: RegExp): void {
  const r = runCli(args);
  assert.equal(r.status, status, `exit status; stdout=${r.stdout} stderr=${r.stderr}`);
  const out = r.stdout + r.stderr;
  assert.match(out, pattern);
  assert.equal(hasStackTrace(out), false, `stack trace in output:\n${out}`);
}

describe("ocicompat validate (spawned)", () => {
  test("a valid index exits 0 and says valid", () => {
    const f = file("good-index.json", goodIndex);
    const r = runCli(["validate", f]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(r.stdout, `${f}: valid index\n`);
  });

  test("an invalid digest is printed as FILE: $.path: message and exits 1", () => {
    const doc = JSON.parse(goodIndex) as { manifests: { digest: string }[] };
    doc.manifests[0]!.digest = "sha256:ABC";
    const f = file("bad-digest.json", JSON.stringify(doc));
    const r = runCli(["validate", f]);
    assert.equal(r.status, 1);
    assert.match(
      r.stdout,
      new RegExp(
        `^${escape(f)}: \\$\\.manifests\\[0\\]\\.digest: sha256 digest must be 64 lowercase hex`,
        "m",
      ),
    );
    assert.match(r.stdout, /invalid index \(1 error\)/);
  });

  test("warnings are printed apart from errors and do not fail validation", () => {
    const manifest = {
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: DIGEST, size: 5 },
      layers: [],
    };
    const f = file("empty-layers.json", JSON.stringify(manifest));
    const r = runCli(["validate", f]);
    assert.equal(r.status, 0, r.stdout);
    assert.match(r.stdout, new RegExp(`^${escape(f)}: warning: \\$\\.layers: is empty`, "m"));
    assert.match(r.stdout, /valid manifest \(1 warning\)/);
  });

  test("-o json reports every file with verdict, kind, errors and warnings", () => {
    const good = file("j-good.json", goodIndex);
    const bad = file("j-bad.json", '{"schemaVersion": 3, "manifests": []}');
    const r = runCli(["validate", "-o", "json", good, bad]);
    assert.equal(r.status, 1);
    const out = JSON.parse(r.stdout) as {
      files: { file: string; verdict: string; kind: string; errors: { path: string }[] }[];
    };
    assert.deepEqual(
      out.files.map((x) => [x.file, x.verdict, x.kind]),
      [
        [good, "valid", "index"],
        [bad, "invalid", "index"],
      ],
    );
    assert.deepEqual(
      out.files[1]!.errors.map((e) => e.path),
      ["$.schemaVersion"],
    );
  });

  test("--kind overrides detection", () => {
    const f = file("forced.json", goodIndex);
    const r = runCli(["validate", "--kind", "manifest", "-o", "json", f]);
    assert.equal(r.status, 1);
    const out = JSON.parse(r.stdout) as { files: { kind: string; errors: { path: string }[] }[] };
    assert.equal(out.files[0]!.kind, "manifest");
    assert.ok(out.files[0]!.errors.some((e) => e.path === "$.config"));
  });

  test("a YAML authoring file is validated as compatibilities", () => {
    const f = file(
      "spec.yaml",
      "compatibilities:\n  - oci.cpu.vendor: GenuineIntel\n    tags: [intel]\n",
    );
    const r = runCli(["validate", f]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /valid compat/);
  });

  test("binary data is a one-line error with exit 1", () => {
    const bytes = new Uint8Array(4096).map((_, i) => (i * 131 + 7) % 256);
    expectOneLineFailure(
      1,
      ["validate", file("binary.bin", bytes)],
      /invalid: .*(UTF-8|unexpected)/,
    );
  });

  test("truncated JSON is a one-line error with exit 1", () => {
    expectOneLineFailure(
      1,
      ["validate", file("truncated.json", goodIndex.slice(0, 60))],
      /invalid: .*line 1, column \d+/,
    );
  });

  test("a 100 MB file is refused by size with exit 1, without reading it", () => {
    const path = join(dir, "huge.json");
    closeSync(openSync(path, "w"));
    truncateSync(path, 100 * 1024 * 1024);
    expectOneLineFailure(
      1,
      ["validate", path],
      /invalid: is 104857600 bytes; the limit is 4194304 bytes/,
    );
  });

  test("JSON nested 100,000 deep is a one-line error with exit 1", () => {
    expectOneLineFailure(
      1,
      ["validate", file("deep.json", "[".repeat(100_000) + "]".repeat(100_000))],
      /invalid: .*nesting deeper than/,
    );
  });

  test("duplicate keys are a one-line error naming the JSON path", () => {
    const f = file("dup.json", '{"schemaVersion":2,"manifests":[{"digest":"a","digest":"b"}]}');
    expectOneLineFailure(
      1,
      ["validate", f],
      /duplicate key "digest" at \$\.manifests\[0\]\.digest/,
    );
  });

  test("a directory instead of a file is an error with exit 2", () => {
    expectOneLineFailure(2, ["validate", dir], /error: is a directory/);
  });

  test("a missing file is an error with exit 2", () => {
    expectOneLineFailure(2, ["validate", join(dir, "absent.json")], /error: no such file/);
  });

  test("usage mistakes exit 2", () => {
    assert.equal(runCli(["validate"]).status, 2);
    assert.equal(runCli(["validate", "--kind", "bogus", "x.json"]).status, 2);
    assert.equal(runCli(["no-such-command"]).status, 2);
  });

  test("a document of unknown shape asks for --kind", () => {
    const r = runCli(["validate", file("shapeless.json", '{"hello": "world"}')]);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /cannot tell what kind of document this is.*pass --kind/);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

describe("ocicompat validate on real-world documents (spawned)", () => {
  const ocifit = new URL(
    "../fixtures/interop/ocifit-lammps-reax-rocky-8-mpich-nfd.json",
    import.meta.url,
  ).pathname;

  test("compspec/ocifit's J blob is valid with warnings naming each path (exit 0)", () => {
    const r = runCli(["validate", ocifit]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /\$\.compatibilities\[0\]\["compspec\.gpu"\]: is the boolean false/);
    assert.match(r.stdout, /valid compat \(\d+ warnings\)/);
  });

  test("--strict makes the same warnings fail (exit 1)", () => {
    const r = runCli(["validate", "--strict", ocifit]);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /invalid compat/);
  });
});

describe("ocicompat validate on NFD specs (spawned)", () => {
  const nfdDoc = new URL("../fixtures/interop/nfd-image-compatibility.yaml", import.meta.url)
    .pathname;

  test("NFD's documented example is named for what it is and is valid", () => {
    const r = runCli(["validate", nfdDoc]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /valid NFD image-compatibility spec \(v1alpha1\)/);
  });

  test("an NFD spec with a wrong op says which expression, not 'rules: must be a string'", () => {
    const bad = file(
      "bad-nfd.yaml",
      "version: v1alpha1\ncompatibilities:\n- rules:\n  - name: r\n    matchFeatures:\n    - feature: cpu.cpuid\n      matchExpressions:\n        AVX2: {op: Equals, value: [x]}\n",
    );
    const r = runCli(["validate", bad]);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /\$\.compatibilities\[0\]\.rules\[0\]\.matchFeatures\[0\]\.matchExpressions\.AVX2: "Equals" is not an NFD op/,
    );
    assert.doesNotMatch(r.stdout, /must be a string/);
  });
});
