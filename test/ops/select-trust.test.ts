// Issue #12 for selectImage: per-image budgets, the same answer from a warm and a cold cache when
// the registry lost compat content, and cancellation. Against the real CNCF distribution registry,
// except where a server must hang on purpose. Malformed documents: select-trust-malformed.test.ts;
// helpers in select-trust-support.ts.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { after, before, describe, test } from "node:test";
import { BudgetError, type SelectionBudgets } from "../../src/compat/budget.js";
import { OcicompatError } from "../../src/oci/errors.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import {
  compatBlob,
  compatFloodImage,
  compatManifest,
  demoImage,
  featuresBombImage,
  indexBlob,
  pushRaw,
  pushToRegistry,
  variantImage,
} from "./select-support.js";
import { select, selectError, work } from "./select-trust-support.js";

let registry: TestRegistry;

before(async () => {
  registry = await startRegistry();
});

after(async () => {
  await registry.stop();
  work.remove();
});

describe("budgets per image", () => {
  test("a 1 MB platform.features list fails before any compatibilities are read, naming the entry and --max-features", async () => {
    const image = featuresBombImage();
    await pushToRegistry(registry.host, "hostile/features", image.blobs, image.index.desc, "v1");
    const requests: string[] = [];
    const err = await selectError(`${registry.host}/hostile/features:v1`, {}, requests);
    assert.ok(err instanceof BudgetError);
    assert.equal(err.code, "TOO_LARGE");
    assert.equal(err.budget, "featuresPerEntry");
    assert.match(err.message, /\$\.manifests\[0\]\.platform\.features lists \d{5} features/);
    assert.match(err.message, /the budget is 256 \(--max-features raises it\)/);
    assert.deepEqual(requests, [
      "HEAD /v2/hostile/features/manifests/v1",
      `GET /v2/hostile/features/manifests/${image.index.desc.digest}`,
    ]);
  });

  test("8 entries with a 3.9 MB compatibilities blob each: refused before a single blob is fetched", async () => {
    const image = compatFloodImage();
    await pushToRegistry(registry.host, "hostile/flood", image.blobs, image.index.desc, "v1");
    const requests: string[] = [];
    const err = await selectError(`${registry.host}/hostile/flood:v1`, {}, requests);
    assert.ok(err instanceof BudgetError);
    assert.equal(err.budget, "compatBytes");
    assert.match(
      err.message,
      /^\$\.manifests\[0\]\.platform\.compat \(compatibilities blob sha256:/,
    );
    assert.match(err.message, /--max-compat-bytes/);
    assert.equal(err.subject, `${registry.host}/hostile/flood:v1`);
    assert.ok(!requests.some((r) => r.includes("/blobs/")), requests.join("\n"));
  });

  test("the byte budget is per image: two documents under it each, over it together, name the second entry", async () => {
    const a = variantImage("bytes a", { os: "linux", architecture: "amd64" });
    const b = variantImage("bytes b", { os: "linux", architecture: "amd64", variant: "v2" });
    const big = (tag: string) =>
      compatBlob([{ "oci.cpu.vendor": "GenuineIntel", description: tag.repeat(3000) }]);
    const ca = big("a");
    const cb = big("b");
    const index = indexBlob([
      {
        descriptor: a.manifest.desc,
        platform: { os: "linux", architecture: "amd64", compat: ca.descriptor },
      },
      {
        descriptor: b.manifest.desc,
        platform: { os: "linux", architecture: "amd64", variant: "v2", compat: cb.descriptor },
      },
    ]);
    const all = [...a.blobs, ...b.blobs, ...ca.blobs, ...cb.blobs, index];
    await pushToRegistry(registry.host, "budget/bytes", all, index.desc, "v1");
    const ref = `${registry.host}/budget/bytes:v1`;
    const limit = ca.descriptor.size + cb.descriptor.size - 1;
    const err = await selectError(ref, { budgets: { compatBytes: limit } });
    assert.ok(err instanceof BudgetError);
    assert.match(err.message, /^\$\.manifests\[1\]\.platform\.compat /);
    const { selection } = await select(ref, { budgets: { compatBytes: limit + 1 } });
    assert.equal(selection.chosen?.digest, b.manifest.desc.digest);
  });

  test("sets per image, labels per set, alternatives per value and entries per image each have a budget", async () => {
    const a = variantImage("counts a", { os: "linux", architecture: "amd64" });
    const b = variantImage("counts b", { os: "linux", architecture: "amd64", variant: "v3" });
    const compat = compatManifest(
      [
        { "oci.cpu.vendor": "GenuineIntel|AuthenticAMD|HygonGenuine" },
        { "oci.cpu.features": "AVX2, BMI2", "oci.os.glibc": ">=2.31" },
        { "oci.cpu.vendor": "GenuineIntel" },
      ],
      { os: "linux", architecture: "amd64" },
    );
    const index = indexBlob([
      { descriptor: a.manifest.desc, platform: { os: "linux", architecture: "amd64" } },
      {
        descriptor: b.manifest.desc,
        platform: {
          os: "linux",
          architecture: "amd64",
          variant: "v3",
          compatibilities: compat.descriptor,
        },
      },
    ]);
    await pushToRegistry(
      registry.host,
      "budget/counts",
      [...a.blobs, ...b.blobs, ...compat.blobs, index],
      index.desc,
      "v1",
    );
    const ref = `${registry.host}/budget/counts:v1`;
    const cases: [Partial<SelectionBudgets>, keyof SelectionBudgets, RegExp][] = [
      [{ sets: 2 }, "sets", /its 3 sets at \$\.config\.compatibilities/],
      [{ labelsPerSet: 1 }, "labelsPerSet", /\$\.config\.compatibilities\[1\] has 2 labels/],
      [
        { alternativesPerValue: 2 },
        "alternativesPerValue",
        /\$\.config\.compatibilities\[0\]\["oci\.cpu\.vendor"\] has 3 items and alternatives/,
      ],
      [{ entries: 1 }, "entries", /its 2 entries/],
    ];
    for (const [budgets, budget, message] of cases) {
      const err = await selectError(ref, { budgets });
      assert.ok(err instanceof BudgetError, String(err));
      assert.equal(err.budget, budget);
      assert.match(err.message, message);
      // Every budget error names the entry's compat descriptor or the index it is about.
      assert.match(err.message, /sha256:[0-9a-f]{64}/);
    }
    const { selection } = await select(ref, {
      budgets: { sets: 3, labelsPerSet: 2, alternativesPerValue: 3, entries: 2 },
    });
    assert.equal(selection.chosen?.digest, b.manifest.desc.digest);
  });

  test("a budget that is not a positive whole number is a usage error", async () => {
    const err = await selectError(`${registry.host}/budget/counts:v1`, { budgets: { sets: 0 } });
    assert.equal(err.code, "USAGE");
    assert.match(err.message, /--max-sets must be a positive whole number/);
  });
});

describe("the same tag gives the same answer on a warm and a cold node", () => {
  test("compat content the registry lost is dangling on both paths, though a warm cache still holds it", async () => {
    const demo = demoImage("lost");
    await pushToRegistry(registry.host, "same/full", demo.blobs, demo.index.desc, "v1");
    // The same index in another repository without its compat content: what GC leaves behind.
    const compat = new Set(
      [...demo.v3Compat.blobs, ...demo.avx512Compat.blobs].map((b) => b.desc.digest),
    );
    const kept = demo.blobs.filter((b) => !compat.has(b.desc.digest));
    await pushRaw(registry.host, "same/lost", kept, demo.index.desc, "v1");

    const warmDir = `${work.path}/warm`;
    const full = await select(`${registry.host}/same/full:v1`, { cacheDir: warmDir });
    assert.equal(full.selection.chosen?.digest, demo.avx512.manifest.desc.digest);

    const warm = await select(`${registry.host}/same/lost:v1`, { cacheDir: warmDir });
    const cold = await select(`${registry.host}/same/lost:v1`);
    assert.deepEqual(warm.selection.entries, cold.selection.entries);
    assert.deepEqual(warm.selection.warnings, cold.selection.warnings);
    assert.deepEqual(warm.selection.chosen, cold.selection.chosen);
    assert.equal(warm.selection.chosen?.digest, demo.generic.manifest.desc.digest);
    for (const digest of [demo.v3Compat.descriptor.digest, demo.avx512Compat.descriptor.digest]) {
      assert.ok(
        warm.selection.warnings.some((w) => w.includes(digest) && w.includes("dangling")),
        warm.selection.warnings.join("\n"),
      );
    }
    // The warm node read nothing but the tag and the presence checks.
    assert.ok(!warm.requests.some((r) => r.startsWith("GET")), warm.requests.join("\n"));
  });
});

describe("cancellation", () => {
  test("an aborted signal rejects with CANCELLED, or with the reason it was given", async () => {
    const demo = demoImage("cancel");
    await pushToRegistry(registry.host, "cancel/app", demo.blobs, demo.index.desc, "v1");
    const ref = `${registry.host}/cancel/app:v1`;
    const err = await selectError(ref, { signal: AbortSignal.abort() });
    assert.equal(err.code, "CANCELLED");
    const reason = new OcicompatError("TIMEOUT", "gave up after 1s (--timeout)");
    const controller = new AbortController();
    controller.abort(reason);
    assert.equal(await selectError(ref, { signal: controller.signal }), reason);
  });

  test("aborting while a request hangs ends the run (an in-test server that never answers)", async () => {
    const controller = new AbortController();
    const server: Server = createServer(() => {
      // Holds every request open; the caller gives up.
      controller.abort();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    try {
      const err = await selectError(`127.0.0.1:${port}/hang/app:v1`, { signal: controller.signal });
      assert.equal(err.code, "CANCELLED");
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
