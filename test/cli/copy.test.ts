// `ocicompat copy` as a user runs it: registry -> oci: -> registry and oci-archive: round trips with
// identical digests, the summary (quiet without a terminal, a bar on one), --platform's note,
// usage errors, a failed archive copy, and a copy killed with SIGKILL mid-way that a rerun
// completes without re-sending what is there.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { RegistryStore } from "../../src/content/registry/index.js";
import { openArchive } from "../../src/content/archive.js";
import { openLayout } from "../../src/content/layout.js";
import { fetchAll, pushAll, rejectsWith, tempDir } from "../content/layout-support.js";
import type { TestRegistry } from "../support/registry.js";
import { imageWithCompat } from "../support/sample-image.js";
import {
  bigImage,
  type FaultProxy,
  type ProxiedRegistry,
  startProxiedRegistry,
  uploadedDigests,
} from "../ops/copy-support.js";
import { pushToRegistry, runCliAsync } from "../ops/select-support.js";
import { hasStackTrace, isolatedEnv, runCli } from "./run-cli.js";

let fixture: ProxiedRegistry;
let registry: TestRegistry;
let proxy: FaultProxy;
const work = tempDir("ocicompat-cli-copy-");
const image = imageWithCompat("cli-copy");
const store = (repository: string, host = registry.host): RegistryStore =>
  fixture.store(repository, host);

before(async () => {
  fixture = await startProxiedRegistry();
  ({ registry, proxy } = fixture);
  await pushToRegistry(registry.host, "cli/src", image.blobs, image.index.desc, "v1");
});

after(async () => {
  await fixture?.close();
  work.remove();
});

describe("ocicompat copy", () => {
  test("registry -> oci: -> registry round-trips byte-identical digests, quietly off a TTY", async () => {
    const dir = join(work.path, "layout");
    const out = await runCliAsync(["copy", `${registry.host}/cli/src:v1`, `oci:${dir}`]);
    assert.equal(out.status, 0, out.stderr);
    assert.equal(out.stderr, "", "no progress bar without a terminal");
    assert.match(out.stdout, /^copied .* \(tag v1\)$/m);
    assert.match(
      out.stdout,
      new RegExp(`copied:  ${new Set(image.blobs.map((b) => b.desc.digest)).size} blobs`),
    );
    const layout = await openLayout(dir);
    assert.equal((await layout.resolve("v1")).digest, image.index.desc.digest);
    for (const b of image.blobs) assert.deepEqual(await fetchAll(layout, b.desc), b.bytes);

    const back = await runCliAsync([
      "copy",
      `oci:${dir}:v1`,
      `${registry.host}/cli/back:v2`,
      "-o",
      "json",
    ]);
    assert.equal(back.status, 0, back.stderr);
    const json = JSON.parse(back.stdout) as {
      root: { digest: string };
      tag: string;
      rewritten: boolean;
    };
    assert.deepEqual(
      [json.root.digest, json.tag, json.rewritten],
      [image.index.desc.digest, "v2", false],
    );
    const dst = store("cli/back");
    for (const b of image.blobs) assert.deepEqual(await fetchAll(dst, b.desc), b.bytes);
    assert.equal((await dst.resolve("v2")).digest, image.index.desc.digest);
  });

  test("oci-archive: destination is written at the end and reads back complete", async () => {
    const file = join(work.path, "image.tar");
    const out = await runCliAsync(["copy", `${registry.host}/cli/src:v1`, `oci-archive:${file}`]);
    assert.equal(out.status, 0, out.stderr);
    assert.ok(existsSync(file));
    const again = await runCliAsync([
      "copy",
      `oci-archive:${file}:v1`,
      `${registry.host}/cli/from-archive`,
    ]);
    assert.equal(again.status, 0, again.stderr);
    assert.equal((await store("cli/from-archive").resolve("v1")).digest, image.index.desc.digest);
  });

  test("a failed copy into oci-archive: writes what arrived, untagged; a rerun fetches only the rest", async () => {
    const file = join(work.path, "failed.tar");
    const layers = image.blobs.filter((b) => b.desc.mediaType.includes("layer"));
    const bad = layers[0]!;
    proxy.reset();
    proxy.rule = (m, url) =>
      m === "GET" && url.endsWith(`/blobs/${bad.desc.digest}`)
        ? { kind: "flip", at: 3 }
        : undefined;
    const src = `${proxy.host}/cli/src:v1`;
    const failed = await runCliAsync(["copy", "--concurrency", "1", src, `oci-archive:${file}`]);
    assert.equal(failed.status, 2, failed.stderr);
    assert.ok(!hasStackTrace(failed.stderr), failed.stderr);
    assert.match(failed.stderr, new RegExp(bad.desc.digest.slice(0, 20)));

    const partial = await openArchive(file);
    let present: Set<string>;
    try {
      assert.deepEqual(await partial.listTags(), [], "no tag names the incomplete graph");
      assert.equal(await partial.exists(bad.desc), false, "the corrupt blob was not stored");
      present = new Set();
      for (const b of image.blobs) if (await partial.exists(b.desc)) present.add(b.desc.digest);
    } finally {
      await partial.discard();
    }
    assert.ok(present.size > 0, "something arrived before the failure");

    proxy.reset();
    const rerun = await runCliAsync(["copy", src, `oci-archive:${file}`]);
    assert.equal(rerun.status, 0, rerun.stderr);
    const fetched = proxy.seen
      .filter((r) => r.method === "GET" && /\/blobs\/sha256:/.test(r.url))
      .map((r) => r.url.split("/blobs/")[1]);
    assert.ok(fetched.includes(bad.desc.digest));
    assert.deepEqual(
      fetched.filter((d) => present.has(d!)),
      [],
      "no blob the archive already held was fetched again",
    );
    const complete = await openArchive(file);
    try {
      assert.equal((await complete.resolve("v1")).digest, image.index.desc.digest);
      for (const b of image.blobs) assert.equal(await complete.exists(b.desc), true);
    } finally {
      await complete.discard();
    }
  });

  test("when the copy fails and writing the archive fails too, the copy's error comes first", async () => {
    const bad = image.blobs.find((b) => b.desc.mediaType.includes("layer"))!;
    proxy.reset();
    proxy.rule = (m, url) =>
      m === "GET" && url.endsWith(`/blobs/${bad.desc.digest}`)
        ? { kind: "flip", at: 3 }
        : undefined;
    const file = join(work.path, "no-such-dir", "out.tar");
    const out = await runCliAsync(["copy", `${proxy.host}/cli/src:v1`, `oci-archive:${file}`]);
    assert.equal(out.status, 2, out.stderr);
    assert.ok(!hasStackTrace(out.stderr), out.stderr);
    const lines = out.stderr.trim().split("\n");
    assert.match(lines[0]!, new RegExp(bad.desc.digest.slice(0, 20)), "the copy's own error first");
    assert.ok(
      lines.slice(1).some((l) => l.startsWith("ocicompat: also: ")),
      `the archive's failure follows: ${out.stderr}`,
    );
    proxy.reset();
  });

  test("--platform says the index is a new document", async () => {
    const dir = join(work.path, "amd64");
    const out = await runCliAsync([
      "copy",
      "--platform",
      "linux/amd64",
      `${registry.host}/cli/src:v1`,
      `oci:${dir}:amd64`,
    ]);
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /note: --platform made a NEW index \(linux\/amd64\)/);
    const layout = await openLayout(dir);
    const [, config, manifest] = image.compat;
    assert.equal(await layout.exists(manifest!.desc), true, "the kept entry's compat manifest");
    assert.equal(await layout.exists(config!.desc), true);
  });

  test("on a terminal a progress bar runs on stderr and the summary still prints", async () => {
    // `script` (util-linux) gives the CLI a pseudo-terminal, as an interactive shell would.
    const dir = join(work.path, "tty-layout");
    const command = [
      process.execPath,
      "bin/ocicompat.js",
      "copy",
      `${registry.host}/cli/src:v1`,
      `oci:${dir}`,
    ]
      .map((a) => `'${a}'`)
      .join(" ");
    const out = await new Promise<{ status: number | null; text: string }>((resolve, reject) => {
      const child = spawn("script", ["-qefc", command, "/dev/null"], {
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, NO_COLOR: "1", ...isolatedEnv() },
      });
      let text = "";
      child.stdout.on("data", (d: Buffer) => (text += d.toString()));
      child.stderr.on("data", (d: Buffer) => (text += d.toString()));
      child.on("error", reject);
      child.on("close", (status) => resolve({ status, text }));
    });
    assert.equal(out.status, 0, out.text);
    assert.match(out.text, /copying \[/, "the bar was drawn");
    assert.match(out.text, /copied .* \(tag v1\)/);
    assert.ok(!hasStackTrace(out.text), out.text);
    const layout = await openLayout(dir);
    assert.equal((await layout.resolve("v1")).digest, image.index.desc.digest);
  });

  test("usage errors exit 2 without a stack trace", () => {
    for (const args of [
      ["copy", "--concurrency", "0", "oci:/nonexistent:v1", "oci:/tmp/x"],
      ["copy", "oci:/nonexistent:v1", `${"127.0.0.1:1"}/a@sha256:${"a".repeat(64)}`],
    ]) {
      const r = runCli(args);
      assert.equal(r.status, 2, r.stderr);
      assert.ok(!hasStackTrace(r.stderr));
      assert.match(r.stderr, /^ocicompat: /m);
    }
  });

  test("a copy killed with SIGKILL mid-way completes on rerun without re-sending blobs", async () => {
    const big = bigImage(4, 6, 512 * 1024);
    const dir = join(work.path, "big");
    await pushAll(await openLayout(dir, { create: true }), big.blobs);
    await (await openLayout(dir)).tag(big.index.desc, "v1");
    // Slow every finished upload down so the kill lands mid-copy.
    proxy.reset();
    proxy.rule = (m, url) =>
      m === "PUT" && url.includes("/blobs/uploads/") ? { kind: "delay", ms: 150 } : undefined;
    const args = ["copy", "--concurrency", "2", `oci:${dir}:v1`, `${proxy.host}/cli/killed:v1`];
    const child = spawn(process.execPath, ["bin/ocicompat.js", ...args], {
      stdio: "ignore",
      env: { ...process.env, ...isolatedEnv() },
    });
    const exited = new Promise<number | null>((resolve) =>
      child.on("exit", (_c, s) => resolve(s === null ? _c : -1)),
    );
    const deadline = Date.now() + 30_000;
    while (uploadedDigests(proxy.seen).length < 8 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    child.kill("SIGKILL");
    assert.equal(await exited, -1, "killed by the signal");
    // Uploads the proxy had already received finish at the registry after the kill: let them.
    await new Promise((r) => setTimeout(r, 400));
    const blobs = big.blobs.filter(
      (b) => !b.desc.mediaType.includes("manifest") && !b.desc.mediaType.includes("index"),
    );
    const killed = store("cli/killed");
    const before = new Set<string>();
    for (const b of blobs) if (await killed.exists(b.desc)) before.add(b.desc.digest);
    const all = new Set(blobs.map((b) => b.desc.digest));
    assert.ok(
      before.size >= 8 && before.size < all.size,
      `killed mid-way (${before.size} of ${all.size})`,
    );
    await rejectsWith(store("cli/killed").resolve("v1"), "NOT_FOUND");

    proxy.reset();
    const rerun = await runCliAsync(args);
    assert.equal(rerun.status, 0, rerun.stderr);
    const resent = uploadedDigests(proxy.seen).filter((d) => before.has(d));
    assert.deepEqual(resent, [], "no blob already present was uploaded again");
    assert.match(rerun.stdout, /skipped: [1-9]\d* already present/);
    const dst = store("cli/killed");
    for (const b of big.blobs) assert.equal(await dst.exists(b.desc), true, b.desc.digest);
    assert.equal((await dst.resolve("v1")).digest, big.index.desc.digest);
    const sent = new Set(uploadedDigests(proxy.seen));
    assert.equal(sent.size, all.size - before.size, "the rerun sent exactly the missing blobs");
  });
});
