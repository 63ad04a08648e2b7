// ContentWriter.each over a memory store: writes at once within the bound, the records in the
// items' order whatever order the writes finish in, and a failure that stops what has not begun
// and is thrown only once what had begun has ended.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createMemoryStore } from "../../../src/content/memory.js";
import type { ContentDescriptor } from "../../../src/content/store.js";
import { ContentWriter } from "../../../src/ops/attach/writer.js";
import { blob } from "../../content/layout-support.js";

const blobs = ["a", "b", "c"].map((text) => blob("application/octet-stream", text));

/** A promise and the function that settles it. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe("ContentWriter.each", () => {
  test("records follow the items' order although the first write finishes last", async () => {
    const store = createMemoryStore();
    const writer = new ContentWriter(store);
    const lastDone = gate();
    const finished: string[] = [];
    await writer.each(blobs, async (w, b) => {
      if (b === blobs[0]) await lastDone.opened;
      await w.blob("config", b.desc, b.bytes);
      finished.push(b.desc.digest);
      if (finished.length === 2) lastDone.open();
    });
    assert.equal(finished[2], blobs[0]!.desc.digest, "the first item finished last");
    assert.deepEqual(
      writer.records.map((r) => r.descriptor.digest),
      blobs.map((b) => b.desc.digest),
    );
  });

  test("at most `concurrency` jobs run at once", async () => {
    const writer = new ContentWriter(createMemoryStore(), { concurrency: 2 });
    let running = 0;
    let most = 0;
    await writer.each([1, 2, 3, 4, 5], async () => {
      most = Math.max(most, ++running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running--;
    });
    assert.equal(most, 2);
  });

  test("after a failure no further job starts, and the failure comes once the running jobs end", async () => {
    const writer = new ContentWriter(createMemoryStore(), { concurrency: 2 });
    const slow = gate();
    const started: number[] = [];
    let slowEnded = false;
    const run = writer.each([0, 1, 2, 3], async (_, i) => {
      started.push(i);
      if (i === 0) {
        await slow.opened;
        slowEnded = true;
        return;
      }
      if (i === 1) throw new Error("refused");
    });
    let settled = false;
    void run.catch(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(settled, false, "still waiting for the job in flight");
    slow.open();
    await assert.rejects(run, /refused/);
    assert.ok(slowEnded);
    assert.deepEqual(started, [0, 1], "jobs 2 and 3 never started");
    assert.deepEqual(writer.records, []);
  });

  test("of several failures, the lowest item's is thrown, whichever came first", async () => {
    const writer = new ContentWriter(createMemoryStore(), { concurrency: 2 });
    const late = gate();
    const run = writer.each([0, 1], async (_, i) => {
      if (i === 0) {
        await late.opened;
        throw new Error("item 0");
      }
      late.open();
      throw new Error("item 1");
    });
    await assert.rejects(run, /item 0/);
  });

  test("each called from inside a job is refused, where it could wait for a slot forever", async () => {
    const writer = new ContentWriter(createMemoryStore(), { concurrency: 1 });
    await assert.rejects(
      writer.each([0], (w) => w.each([1], async () => undefined)),
      { code: "INTERNAL" },
    );
  });

  test("a concurrency that is not an integer of at least 1 is a usage error, not a hang", () => {
    for (const concurrency of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => new ContentWriter(createMemoryStore(), { concurrency }), {
        code: "USAGE",
      });
    }
  });

  test("a branch's tag checks what the writer wrote before it branched (a layout's tagComplete)", async () => {
    const store = createMemoryStore();
    const [config] = blobs as [(typeof blobs)[0]];
    const manifest = blob(
      "application/vnd.oci.image.manifest.v1+json",
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { ...config.desc, mediaType: "application/vnd.oci.image.config.v1+json" },
        layers: [],
      }),
    );
    const seen: ContentDescriptor[][] = [];
    const watched = Object.assign(store, {
      async tagComplete(
        desc: ContentDescriptor,
        tag: string,
        options?: { only?: readonly ContentDescriptor[] },
      ) {
        seen.push([...(options?.only ?? [])]);
        await store.push(desc, manifest.bytes);
        await store.tag(desc, tag);
      },
    });
    const tagging = new ContentWriter(watched);
    await tagging.blob("config", config.desc, config.bytes);
    await tagging.each([manifest], (w, m) => w.tag("compat-tag", m.desc, m.bytes, "t"));
    assert.deepEqual(
      seen[0]?.map((d) => d.digest),
      [config.desc.digest],
    );
    assert.equal((await store.resolve("t")).digest, manifest.desc.digest);
    assert.deepEqual(
      tagging.records.map((r) => r.action),
      ["blob", "tag"],
    );
  });
});
