// The lock around a layout's index.json (when a stale lock is broken, when tag gives up, the
// holder's lease), and layouts written by ocicompat and by skopeo read by the other.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { openLayout } from "../../src/content/layout.js";
import { machineId, withLock } from "../../src/content/layout/lock.js";
import {
  assertHolds,
  EMPTY_INDEX,
  fetchAll,
  layoutScratch,
  pushAll,
  rejectsWith,
  sampleImage,
  skopeo,
} from "./layout-support.js";

const { freshDir, newLayout, remove } = layoutScratch("ocicompat-layout-lock-");
after(remove);

describe("LayoutStore: the index.json lock", () => {
  function deadPid(): number {
    const child = spawnSync(process.execPath, ["-e", ""]);
    assert.ok(child.pid);
    return child.pid;
  }

  test("a lock left by a process that is gone (same kernel and PID namespace) is broken at once and the tag lands", async () => {
    assert.ok(machineId !== undefined, "this Linux host names its kernel and PID namespace");
    const dir = freshDir();
    await openLayout(dir, { create: true });
    // A timeout far below the lease: only the PID check can break it in time.
    const store = await openLayout(dir, { lockTimeoutMs: 2_000 });
    const image = sampleImage();
    await pushAll(store, image.blobs);
    const lock = `${store.indexPath}.lock`;
    writeFileSync(lock, `${deadPid()}\n${hostname()}\n${machineId}\nsometoken\n`);
    await store.tag(image.index.desc, "v1");
    assert.equal((await store.resolve("v1")).digest, image.index.desc.digest);
    assert.equal(existsSync(lock), false);
    assert.equal(existsSync(`${lock}.break`), false);
  });

  test("a lock file without a PID, older than the grace period, is broken", async () => {
    const store = await newLayout();
    const image = sampleImage();
    await pushAll(store, image.blobs);
    const lock = `${store.indexPath}.lock`;
    writeFileSync(lock, "");
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    await store.tag(image.index.desc, "v1");
    assert.deepEqual(await store.listTags(), ["v1"]);
  });

  test("a lock held by a live process makes tag give up after the timeout, naming it", async () => {
    const dir = freshDir();
    await openLayout(dir, { create: true });
    const store = await openLayout(dir, { lockTimeoutMs: 150 });
    const image = sampleImage();
    await pushAll(store, image.blobs);
    const holder = spawn("sleep", ["30"]);
    try {
      const lock = `${store.indexPath}.lock`;
      writeFileSync(lock, `${holder.pid}\n${hostname()}\n`);
      const started = Date.now();
      await rejectsWith(
        store.tag(image.index.desc, "v1"),
        "IO",
        new RegExp(
          `locked by process ${holder.pid}; gave up after 150 ms.*remove .*index\\.json\\.lock`,
        ),
      );
      assert.ok(Date.now() - started < 5_000);
      assert.equal(readFileSync(lock, "utf8"), `${holder.pid}\n${hostname()}\n`, "lock kept");
      assert.equal(readFileSync(store.indexPath, "utf8"), EMPTY_INDEX, "index.json unchanged");
    } finally {
      holder.kill();
    }
  });

  test("a lock from another PID namespace with the same hostname is not broken by PID while its lease is fresh", async () => {
    const dir = freshDir();
    await openLayout(dir, { create: true });
    const store = await openLayout(dir, { lockTimeoutMs: 300 });
    const image = sampleImage();
    await pushAll(store, image.blobs);
    // A dead PID here may be a live writer in the other container.
    const lock = `${store.indexPath}.lock`;
    const text = `${deadPid()}\n${hostname()}\nboot-x/pid:[4026532999]\nothertoken\n`;
    writeFileSync(lock, text);
    await rejectsWith(store.tag(image.index.desc, "v1"), "IO", /gave up after 300 ms/);
    assert.equal(readFileSync(lock, "utf8"), text, "lock kept");
  });

  test("a lock from another PID namespace whose lease ran out (no heartbeat) is broken", async () => {
    const store = await newLayout();
    const image = sampleImage();
    await pushAll(store, image.blobs);
    const lock = `${store.indexPath}.lock`;
    writeFileSync(lock, `1\n${hostname()}\nboot-x/pid:[4026532999]\nothertoken\n`);
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    await store.tag(image.index.desc, "v1");
    assert.deepEqual(await store.listTags(), ["v1"]);
    assert.equal(existsSync(lock), false);
  });

  test("a holder refreshes its lease while it holds the lock, and removes only its own lock file", async () => {
    const dir = freshDir();
    mkdirSync(dir, { recursive: true });
    const lock = join(dir, "x.lock");
    const mtimes: number[] = [];
    await withLock(
      lock,
      async () => {
        mtimes.push(statSync(lock).mtimeMs);
        await new Promise((resolve) => setTimeout(resolve, 400));
        mtimes.push(statSync(lock).mtimeMs);
        // Another process broke it (this holder stalled past its lease) and took it.
        writeFileSync(lock, `1\nother\n-\nnot-mine\n`);
      },
      { leaseMs: 100 },
    );
    assert.ok(mtimes[1]! > mtimes[0]!, "the heartbeat moved the mtime");
    assert.equal(readFileSync(lock, "utf8"), `1\nother\n-\nnot-mine\n`, "the other's lock kept");
  });

  test("a lock from another host is never broken by PID", async () => {
    const dir = freshDir();
    await openLayout(dir, { create: true });
    const store = await openLayout(dir, { lockTimeoutMs: 100 });
    const image = sampleImage();
    await pushAll(store, image.blobs);
    writeFileSync(`${store.indexPath}.lock`, `${deadPid()}\nsome-other-host.example\n`);
    await rejectsWith(store.tag(image.index.desc, "v1"), "IO", /on some-other-host\.example/);
  });
});

describe("LayoutStore: interoperability with skopeo", () => {
  let dir: string;
  let image: ReturnType<typeof sampleImage>;
  before(async () => {
    dir = freshDir();
    const store = await openLayout(dir, { create: true });
    image = sampleImage();
    await pushAll(store, image.blobs);
    await store.tag(image.index.desc, "v1");
  });

  test("skopeo reads the index ocicompat wrote, byte for byte", () => {
    assert.equal(skopeo("inspect", "--raw", `oci:${dir}:v1`), image.index.bytes.toString());
  });

  test("a layout skopeo wrote is read back with the same graph and tags", async () => {
    const copy = freshDir();
    skopeo("copy", "--all", "--preserve-digests", `oci:${dir}:v1`, `oci:${copy}:v2`);
    const store = await openLayout(copy);
    assert.deepEqual(await store.listTags(), ["v2"]);
    assert.equal((await store.resolve("v2")).digest, image.index.desc.digest);
    await assertHolds(store, image);
    assert.deepEqual(await fetchAll(store, image.index.desc), image.index.bytes);
  });
});
