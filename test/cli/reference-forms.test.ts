// Reference forms as users write them (docs/cli.md#references): skopeo's docker://REF works in every
// command that takes a REF, other transports are refused by name, and ls refuses a tag. Against the
// real CNCF distribution registry.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { copyGraph } from "../../src/content/copy.js";
import { createMemoryStore } from "../../src/content/memory.js";
import { createRegistryStore } from "../../src/content/registry/index.js";
import { pushAll, tempDir } from "../content/layout-support.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import { imageWithCompat } from "../support/sample-image.js";
import { hasStackTrace, runCli } from "./run-cli.js";

let registry: TestRegistry;
const work = tempDir("ocicompat-cli-refs-");
const image = imageWithCompat("refs");
const NODE = "examples/nodes/amd-genoa.json";

before(async () => {
  registry = await startRegistry();
  const src = createMemoryStore();
  await pushAll(src, image.blobs);
  const remote = createRegistryStore({ registry: registry.host, repository: "demo/app" });
  await copyGraph(src, remote, image.index.desc, { tag: "v1" });
  await remote.close();
});

after(async () => {
  await registry.stop();
  work.remove();
});

function ok(args: string[]): string {
  const r = runCli(args);
  assert.equal(r.status, 0, `${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

describe("docker://REF is the same reference as REF (spawned, real registry)", () => {
  test("inspect, verify and ls give the same output with and without docker://", () => {
    const plain = `${registry.host}/demo/app`;
    for (const args of [
      ["inspect", "-o", "json", `${plain}:v1`],
      ["verify", "-o", "json", `${plain}:v1`],
    ]) {
      const withPrefix = args.map((a) => (a.startsWith(plain) ? `docker://${a}` : a));
      const strip = (s: string) => s.replaceAll(`docker://${plain}`, plain);
      assert.equal(strip(ok(withPrefix)), ok(args));
    }
    assert.equal(ok(["ls", `docker://${plain}`]), "v1\n");
  });

  test("select and check choose the same entry through docker://", () => {
    const plain = `${registry.host}/demo/app:v1`;
    const digest = ok(["select", "--node", NODE, plain]);
    assert.match(digest, /^sha256:[0-9a-f]{64}\n$/);
    assert.equal(ok(["select", "--node", NODE, `docker://${plain}`]), digest);
    const check = JSON.parse(ok(["check", "--node", NODE, "-o", "json", `docker://${plain}`])) as {
      chosen: { digest: string };
    };
    assert.equal(`${check.chosen.digest}\n`, digest);
  });

  test("copy takes docker:// on both sides, and the tag still defaults to SRC's", () => {
    const layout = join(work.path, "layout");
    ok(["copy", `docker://${registry.host}/demo/app:v1`, `oci:${layout}`]);
    assert.equal(ok(["ls", `oci:${layout}`]), "v1\n");
    ok(["copy", `oci:${layout}:v1`, `docker://${registry.host}/demo/copy`]);
    assert.equal(ok(["ls", `${registry.host}/demo/copy`]), "v1\n");
  });
});

describe("other transports are refused by name (spawned)", () => {
  const cases: [command: string[], ref: string, transport: string][] = [
    [["inspect"], "docker-archive:/tmp/app.tar", "docker-archive:"],
    [["ls"], "containers-storage:localhost/app", "containers-storage:"],
    [["verify"], "dir:/var/tmp/image", "dir:"],
    [["select", "--node", NODE], "ocidir://layout:v1", "ocidir://"],
    [["check", "--node", NODE], "oci-layout://layout:v1", "oci-layout://"],
    [["copy"], "docker-daemon:alpine:latest", "docker-daemon:"],
  ];
  for (const [command, ref, transport] of cases) {
    test(`${command[0]} ${ref} exits 2 naming ${transport} and the supported forms`, () => {
      const args =
        command[0] === "copy" ? [...command, ref, "oci:/nonexistent/x"] : [...command, ref];
      const r = runCli(args);
      assert.equal(r.status, 2);
      assert.equal(r.stdout, "");
      const line = r.stderr.split("\n")[0] ?? "";
      assert.ok(
        line.startsWith(`ocicompat: ${ref}: "${transport}" references are not supported`),
        line,
      );
      assert.match(
        line,
        /oci:DIR\[:tag\|@digest\], oci-archive:FILE\[:tag\], docker:\/\/REF or REF/,
      );
      assert.doesNotMatch(r.stderr, /invalid port/);
      assert.equal(hasStackTrace(r.stderr), false);
    });
  }
});

describe("ls takes a repository, not a tag (spawned, real registry)", () => {
  test("ls REPO:TAG exits 2 instead of listing the repository's tags", () => {
    const ref = `${registry.host}/demo/app:v1`;
    const r = runCli(["ls", ref]);
    assert.equal(r.status, 2);
    assert.equal(r.stdout, "");
    assert.match(
      r.stderr,
      new RegExp(
        `^ocicompat: ${ref.replaceAll(".", "\\.")}: names tag "v1", but a whole repository is wanted here: leave out ":v1"\n`,
      ),
    );
  });

  test("ls REPO@DIGEST and ls oci:DIR:TAG exit 2 too", () => {
    const byDigest = runCli(["ls", `${registry.host}/demo/app@${image.index.desc.digest}`]);
    assert.equal(byDigest.status, 2);
    assert.match(byDigest.stderr, /names digest sha256:/);
    const layout = runCli(["ls", `oci:${work.path}:v1`]);
    assert.equal(layout.status, 2);
    assert.match(layout.stderr, /names tag "v1"/);
  });
});
