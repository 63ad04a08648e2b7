// inspect and ls as a user runs them, against the real CNCF distribution registry and the same
// image in an OCI layout and an OCI archive.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { rmSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { copyGraph } from "../../src/content/copy.js";
import { openArchive } from "../../src/content/archive.js";
import { openLayout } from "../../src/content/layout.js";
import { createMemoryStore } from "../../src/content/memory.js";
import { createRegistryStore } from "../../src/content/registry/index.js";
import { pushAll, tempDir } from "../content/layout-support.js";
import { freePort, startRegistry, type TestRegistry } from "../support/registry.js";
import { imageWithCompat } from "../support/sample-image.js";
import { hasStackTrace, runCli } from "./run-cli.js";

let registry: TestRegistry;
const work = tempDir("ocicompat-cli-inspect-");
const image = imageWithCompat("inspect");
let layoutDir: string;
let archiveFile: string;

before(async () => {
  registry = await startRegistry();
  const src = createMemoryStore();
  await pushAll(src, image.blobs);
  const remote = createRegistryStore({ registry: registry.host, repository: "demo/app" });
  await copyGraph(src, remote, image.index.desc, { tag: "v1" });
  await remote.tag(image.index.desc, "v2");
  await remote.close();
  layoutDir = join(work.path, "layout");
  await copyGraph(src, await openLayout(layoutDir, { create: true }), image.index.desc, {
    tag: "v1",
  });
  archiveFile = join(work.path, "image.tar");
  const archive = await openArchive(archiveFile, { create: true });
  await copyGraph(src, archive, image.index.desc, { tag: "v1" });
  await archive.close();
});

after(async () => {
  await registry.stop();
  work.remove();
});

describe("ocicompat inspect and ls (spawned, real registry)", () => {
  test("inspect shows the index tree with each entry's compatibilities and their sets", () => {
    const r = runCli(["inspect", `${registry.host}/demo/app:v1`]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`index ${image.index.desc.digest}`));
    assert.match(r.stdout, /compatibilities: manifest \(Proposal I\) sha256:\w{12}, 1 set/);
    assert.match(r.stdout, /compatibilities: blob \(Proposal J\) sha256:\w{12}, 1 set/);
    assert.match(r.stdout, /set 0 score 0: oci\.cpu\.features=AVX2/);
  });

  test("inspect --raw prints exactly the bytes pushed, as skopeo does", () => {
    const ref = `${registry.host}/demo/app:v1`;
    const ours = spawnSync(process.execPath, ["bin/ocicompat.js", "inspect", "--raw", ref]);
    assert.equal(ours.status, 0);
    assert.ok(Buffer.compare(ours.stdout, image.index.bytes) === 0);
    const theirs = spawnSync("skopeo", [
      "inspect",
      "--raw",
      "--tls-verify=false",
      `docker://${ref}`,
    ]);
    assert.equal(theirs.status, 0, theirs.stderr.toString());
    assert.ok(Buffer.compare(theirs.stdout, ours.stdout) === 0);
  });

  test("inspect gives the same tree for the registry, an OCI layout and an OCI archive", () => {
    const json = (ref: string) => {
      const r = runCli(["inspect", "-o", "json", ref]);
      assert.equal(r.status, 0, r.stderr);
      return (JSON.parse(r.stdout) as { root: unknown }).root;
    };
    const remote = json(`${registry.host}/demo/app:v1`);
    assert.deepEqual(json(`oci:${layoutDir}:v1`), remote);
    assert.deepEqual(json(`oci-archive:${archiveFile}:v1`), remote);
  });

  test("ls lists tags of a registry repository, a layout and an archive", () => {
    const remote = runCli(["ls", `${registry.host}/demo/app`]);
    assert.equal(remote.status, 0, remote.stderr);
    assert.deepEqual(remote.stdout.trim().split("\n").sort(), ["v1", "v2"]);
    assert.equal(runCli(["ls", `oci:${layoutDir}`]).stdout, "v1\n");
    assert.equal(
      runCli(["ls", "-o", "json", `oci-archive:${archiveFile}`]).stdout.replace(/\s/g, ""),
      '{"tags":["v1"]}',
    );
  });

  test("an unreachable registry is a one-line error with exit 2", async () => {
    const port = await freePort();
    const r = runCli(["inspect", `127.0.0.1:${port}/demo/app:v1`]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /cannot reach|connection refused/i);
    assert.equal(hasStackTrace(r.stderr), false);
  });

  test("an unknown tag is an error with exit 2 naming it", () => {
    const r = runCli(["inspect", `${registry.host}/demo/app:nope`]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /nope|MANIFEST_UNKNOWN|not found/i);
  });

  test("a layout with a missing blob is reported, with exit 2", async () => {
    const dir = join(work.path, "broken-layout");
    const src = createMemoryStore();
    await pushAll(src, image.blobs);
    const layout = await openLayout(dir, { create: true });
    await copyGraph(src, layout, image.index.desc, { tag: "v1" });
    const compatManifest = image.compat[2]!.desc.digest;
    unlinkSync(layout.blobPath(compatManifest));
    const r = runCli(["inspect", `oci:${dir}:v1`]);
    assert.equal(r.status, 2);
    assert.match(r.stdout, /unreadable: blob sha256:\w+ is not in oci:/);
    assert.match(r.stderr, /1 descriptor could not be read/);
  });

  test("an archive with a ../ entry is refused with exit 2", () => {
    const file = join(work.path, "evil.tar");
    const header = Buffer.alloc(512);
    header.write("../evil", 0);
    header.write("0000644\0", 100);
    header.write("0000000\0", 108);
    header.write("0000000\0", 116);
    header.write("00000000004\0", 124);
    header.write("00000000000\0", 136);
    header.write("        ", 148);
    header.write("0", 156);
    header.write("ustar\0", 257);
    header.write("00", 263);
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
    const body = Buffer.alloc(512);
    body.write("evil");
    writeFileSync(file, Buffer.concat([header, body, Buffer.alloc(1024)]));
    const r = runCli(["inspect", `oci-archive:${file}:v1`]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /\.\.\/evil/);
    rmSync(file);
  });
});
