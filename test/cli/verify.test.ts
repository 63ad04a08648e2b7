// verify, protect and gc from the command line, against the real registry (distribution 2.8, the
// Debian docker-registry) and its garbage-collect, with each platform image tagged as
// `docker manifest` workflows do:
//   * compat attached by ocicompat survives `garbage-collect --delete-untagged`; verify --gc passes
//     before and after;
//   * the same content attached without anchors is lost, and verify says so (exit 1, the digest);
//   * a Proposal J blob without a keeper is lost even to a plain GC, and verify says so;
//   * protect, then GC: everything is kept, verify --gc passes.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { buildCompatBlob } from "../../src/compat/build.js";
import { editCompatibilities } from "../../src/compat/index-edit.js";
import { copyGraph } from "../../src/content/copy.js";
import { openLayout } from "../../src/content/layout.js";
import { createMemoryStore } from "../../src/content/memory.js";
import { attach } from "../../src/ops/attach.js";
import type { AttachResult } from "../../src/ops/attach/result.js";
import { blob, pushAll, sampleImage, tempDir } from "../content/layout-support.js";
import { formatDuration, parseDuration } from "../../src/cli/commands/verify.js";
import { OcicompatError } from "../../src/oci/errors.js";
import { MediaType } from "../../src/oci/media-types.js";
import { pushSample, registryStore, type Json } from "../ops/attach-support.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import { hasStackTrace, runCli } from "./run-cli.js";

// Different sets per repository: blobs are shared across a registry's repositories.
const SETS: Record<string, Json[]> = {
  "v/anchored": [{ "oci.cpu.features": "SSE4_2" }],
  "v/none": [{ "oci.cpu.features": "SSE4_2,AVX" }],
  "v/protected": [{ "oci.cpu.features": "SSE4_2,AVX,F16C" }],
};

let registry: TestRegistry;
const attached: Record<string, AttachResult> = {};
const bare: Record<string, string> = {};

async function withTaggedImage(repository: string) {
  const image = await pushSample(registry.host, repository, "v1");
  const store = registryStore(registry.host, repository);
  await store.tag(image.manifests[0]!.desc, "v1-amd64");
  await store.tag(image.manifests[1]!.desc, "v1-arm64");
  return { image, store };
}

/** A Proposal J blob in entry 0, pushed by digest with no keeper, as another tool would. */
async function pushBare(repository: string, vendor: string): Promise<void> {
  const { image, store } = await withTaggedImage(repository);
  try {
    const blob = buildCompatBlob([{ "oci.cpu.vendor": vendor }]);
    await store.push(blob.descriptor, blob.bytes);
    const edited = editCompatibilities(image.index.bytes, [
      { entry: 0, compatibilities: blob.descriptor },
    ]);
    await store.pushManifest(edited.descriptor, edited.bytes, "v1");
    bare[repository] = blob.descriptor.digest;
  } finally {
    await store.close();
  }
}

function cli(...args: string[]) {
  const result = runCli(args);
  assert.equal(hasStackTrace(result.stderr), false, result.stderr);
  return result;
}

function ref(repository: string): string {
  return `${registry.host}/${repository}:v1`;
}

before(async () => {
  registry = await startRegistry();
  for (const [repository, sets] of Object.entries(SETS)) {
    const { store } = await withTaggedImage(repository);
    try {
      attached[repository] = await attach(store, "v1", {
        sets,
        all: true,
        ...(repository === "v/anchored" ? {} : { anchor: "none" as const }),
      });
    } finally {
      await store.close();
    }
  }
  await pushBare("v/bare", "GenuineIntel");
  await pushBare("v/bare-protected", "AuthenticAMD");
});

after(async () => {
  await registry.stop();
});

describe("verify --gc, protect and garbage-collect on distribution 2.8", () => {
  test("before any GC: anchored content passes verify --gc; unanchored and keeper-less content fail it", () => {
    const ok = cli("verify", "--gc", ref("v/anchored"));
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /kept by: compat-tag sha256-[0-9a-f]{64}\.compat/);
    assert.equal(cli("verify", ref("v/none")).status, 0, "complete, if unprotected");
    const none = cli("verify", "--gc", ref("v/none"));
    assert.equal(none.status, 1);
    assert.match(none.stdout, /NOTHING keeps it/);
    for (const e of attached["v/none"]!.entries)
      assert.ok(none.stdout.includes(e.compatManifest.digest));
    const noKeeper = cli("verify", "--gc", "-o", "json", ref("v/bare"));
    assert.equal(noKeeper.status, 1);
    const report = JSON.parse(noKeeper.stdout) as { problems: { kind: string; digest: string }[] };
    assert.deepEqual(
      report.problems.map((p) => [p.kind, p.digest]),
      [["unanchored", bare["v/bare"]]],
    );
  });

  test("protect anchors content other tools attached; a second run writes nothing", () => {
    for (const repository of ["v/protected", "v/bare-protected"]) {
      const first = cli("protect", "-o", "json", ref(repository));
      assert.equal(first.status, 0, first.stderr);
      const written = (JSON.parse(first.stdout) as { writes: unknown[] }).writes;
      assert.ok(written.length > 0);
      const second = cli("protect", "-o", "json", ref(repository));
      assert.equal(second.status, 0, second.stderr);
      assert.deepEqual((JSON.parse(second.stdout) as { writes: unknown[] }).writes, []);
      const verified = cli("verify", "--gc", ref(repository));
      assert.equal(verified.status, 0, verified.stdout + verified.stderr);
    }
  });

  test("a plain garbage-collect deletes the keeper-less Proposal J blob, and verify reports it", async () => {
    await registry.garbageCollect();
    const result = cli("verify", ref("v/bare"));
    assert.equal(result.status, 1);
    assert.match(result.stdout, /MISSING {2}index → manifests\[0\]\.platform\.compatibilities/);
    assert.ok(result.stdout.includes(bare["v/bare"]!));
    assert.equal(cli("verify", "--gc", ref("v/bare-protected")).status, 0);
  });

  test("garbage-collect --delete-untagged keeps anchored and protected content; unanchored content is lost and verify names it", async () => {
    await registry.garbageCollect({ deleteUntagged: true });
    for (const repository of ["v/anchored", "v/protected", "v/bare-protected"]) {
      const result = cli("verify", "--gc", ref(repository));
      assert.equal(result.status, 0, `${repository}: ${result.stdout}${result.stderr}`);
    }
    const lost = cli("verify", "-o", "json", ref("v/none"));
    assert.equal(lost.status, 1);
    const report = JSON.parse(lost.stdout) as { problems: { kind: string; digest: string }[] };
    const digests = report.problems.filter((p) => p.kind === "missing").map((p) => p.digest);
    for (const e of attached["v/none"]!.entries)
      assert.ok(digests.includes(e.compatManifest.digest));
  });

  test("errors are exit 2: an unknown tag", () => {
    const result = cli("verify", `${registry.host}/v/anchored:nope`);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /not found/);
  });
});

describe("verify and gc on OCI layouts from the command line", () => {
  const work = tempDir("ocicompat-verify-cli-");
  after(() => work.remove());

  test("gc --dry-run lists, gc removes, verify passes; gc refuses a registry reference", async () => {
    const image = sampleImage("cli-gc");
    const src = createMemoryStore();
    await pushAll(src, image.blobs);
    const dir = join(work.path, "layout");
    const layout = await openLayout(dir, { create: true });
    await copyGraph(src, layout, image.index.desc, { tag: "v1" });
    await attach(layout, "v1", { sets: [{ "oci.cpu.features": "AVX2" }], all: true });
    const dry = cli("gc", "--dry-run", "--grace", "0", `oci:${dir}`);
    assert.equal(dry.status, 0, dry.stderr);
    assert.match(dry.stdout, new RegExp(`would remove ${image.index.desc.digest}`));
    assert.equal(await layout.exists(image.index.desc), true);
    const real = cli("gc", "--grace", "0", `oci:${dir}`);
    assert.equal(real.status, 0, real.stderr);
    assert.equal(await layout.exists(image.index.desc), false);
    const verified = cli("verify", "--gc", `oci:${dir}:v1`);
    assert.equal(verified.status, 0, verified.stdout);
    assert.equal(cli("gc", "localhost:5000/x").status, 2);
  });

  test("gc keeps unreachable blobs younger than --grace (1h by default) and says why", async () => {
    const image = sampleImage("cli-gc-grace");
    const src = createMemoryStore();
    await pushAll(src, image.blobs);
    const dir = join(work.path, "grace");
    const layout = await openLayout(dir, { create: true });
    await copyGraph(src, layout, image.index.desc, { tag: "v1" });
    const stray = blob(MediaType.ImageLayerGzip, "pushed, not yet tagged");
    await layout.push(stray.desc, stray.bytes);
    for (const args of [[], ["--grace", "2d"]]) {
      const kept = cli("gc", ...args, `oci:${dir}`);
      assert.equal(kept.status, 0, kept.stderr);
      assert.match(kept.stdout, /kept 1 unreachable blob\(s\) \(\d+ B\) as recent/);
      assert.match(kept.stdout, /a writer may still be about to tag them/);
      assert.match(kept.stdout, /0 blob\(s\) and 0 temp file\(s\) removed/);
      assert.equal(await layout.exists(stray.desc), true);
    }
    const json = cli("gc", "--grace", "30s", "-o", "json", `oci:${dir}`);
    assert.equal(json.status, 0, json.stderr);
    const parsed = JSON.parse(json.stdout) as { graceMs: number; recent: { digest: string }[] };
    assert.equal(parsed.graceMs, 30_000);
    assert.deepEqual(
      parsed.recent.map((r) => r.digest),
      [stray.desc.digest],
    );
    const real = cli("gc", "--grace", "0", `oci:${dir}`);
    assert.equal(real.status, 0, real.stderr);
    assert.match(real.stdout, new RegExp(`removed ${stray.desc.digest}`));
    assert.doesNotMatch(real.stdout, /as recent/);
    assert.equal(await layout.exists(stray.desc), false);
  });

  test("gc --grace with a bad duration is a usage error naming the flag and the value", () => {
    for (const value of ["bogus", "10", "1w", "-1h", "1.5h"]) {
      const result = cli("gc", "--grace", value, `oci:${work.path}`);
      assert.equal(result.status, 2, `${value}: ${result.stdout}`);
      assert.match(result.stderr, new RegExp(`--grace .*"${value.replace(".", "\\.")}"`));
      assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
    }
  });
});

describe("gc --grace durations", () => {
  test("s, m, h and d, and a bare 0, in milliseconds", () => {
    assert.equal(parseDuration("--grace", "0"), 0);
    assert.equal(parseDuration("--grace", "0s"), 0);
    assert.equal(parseDuration("--grace", "30s"), 30_000);
    assert.equal(parseDuration("--grace", "10m"), 600_000);
    assert.equal(parseDuration("--grace", "1h"), 3_600_000);
    assert.equal(parseDuration("--grace", "2d"), 172_800_000);
  });

  test("anything else is a USAGE error naming the flag and the value", () => {
    for (const value of ["", "bogus", "10", "1w", "-1h", "+1h", "1.5h", "1 h", "1H", "h", "1h30m"])
      assert.throws(
        () => parseDuration("--grace", value),
        (err: unknown) => {
          assert.ok(err instanceof OcicompatError);
          assert.equal(err.code, "USAGE");
          assert.match(err.message, /^--grace takes .* not ".*"$/);
          assert.ok(err.message.endsWith(JSON.stringify(value)), err.message);
          return true;
        },
      );
    assert.throws(() => parseDuration("--grace", "99999999999999999d"), /--grace/);
  });

  test("formatting uses the largest unit that divides, and reads back", () => {
    assert.equal(formatDuration(0), "0");
    assert.equal(formatDuration(3_600_000), "1h");
    assert.equal(formatDuration(90_000), "90s");
    assert.equal(formatDuration(172_800_000), "2d");
    assert.equal(formatDuration(1500), "1500ms");
    for (const value of ["0", "45s", "10m", "36h", "7d"])
      assert.equal(formatDuration(parseDuration("--grace", value)), value);
  });
});
