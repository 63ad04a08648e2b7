// Which failures a whole-copy retry (--retry-times) tries again, and how long it waits.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { CopyError } from "../../src/content/copy/error.js";
import { RegistryError } from "../../src/content/registry/errors.js";
import { errorFromNetwork } from "../../src/content/registry/network-errors.js";
import { OcicompatError } from "../../src/oci/errors.js";
import { openLayout } from "../../src/content/layout.js";
import type { Store } from "../../src/content/store.js";
import { copyImage } from "../../src/ops/copy.js";
import { mayPass, retryDelayMs } from "../../src/ops/copy-retry.js";
import { storeWith, tempDir } from "../content/layout-support.js";

const layer = {
  mediaType: "application/octet-stream",
  digest: `sha256:${"a".repeat(64)}`,
  size: 1,
};

function registryError(status: number | undefined, temporary: boolean): RegistryError {
  return new RegistryError({
    code: status === undefined ? "UNREACHABLE" : "REGISTRY",
    message: "registry said no",
    ...(status === undefined ? {} : { status }),
    temporary,
    method: "PUT",
    url: "http://127.0.0.1:5000/v2/app/blobs/uploads/",
  });
}

function socketError(code: string): Error {
  return Object.assign(new Error(`connect ${code}`), { code });
}

describe("mayPass", () => {
  test("a registry's temporary answer may pass, inside a CopyError or not", () => {
    assert.equal(mayPass(registryError(503, true)), true);
    assert.equal(
      mayPass(new CopyError("destination", "reg/app", layer, registryError(429, true))),
      true,
    );
  });

  test("a registry's refusal does not, even with a socket error further down", () => {
    for (const status of [400, 401, 403, 404])
      assert.equal(mayPass(registryError(status, false)), false);
    const refusal = new RegistryError({
      code: "AUTH",
      message: "denied",
      status: 403,
      temporary: false,
      method: "GET",
      url: "http://127.0.0.1:5000/v2/",
      cause: socketError("ECONNRESET"),
    });
    assert.equal(mayPass(refusal), false);
  });

  test("a refused or reset connection may pass; a certificate failure and an unknown host do not", () => {
    const unreachable = (cause: unknown) =>
      new RegistryError({
        code: "UNREACHABLE",
        message: "cannot reach",
        temporary: false,
        method: "GET",
        url: "https://registry.example/v2/",
        cause,
      });
    assert.equal(mayPass(unreachable(socketError("ECONNREFUSED"))), true);
    assert.equal(
      mayPass(new CopyError("source", "reg/app", layer, unreachable(socketError("ECONNRESET")))),
      true,
    );
    assert.equal(mayPass(unreachable(socketError("ENOTFOUND"))), false);
    assert.equal(mayPass(unreachable(socketError("UNABLE_TO_VERIFY_LEAF_SIGNATURE"))), false);
  });

  test("a stalled transfer may pass, and so does a reset before any answer, as the client words it", () => {
    const stalled = new OcicompatError("TIMEOUT", "the GET stalled below 1024 bytes/s");
    assert.equal(mayPass(new CopyError("source", "reg/app", layer, stalled)), true);
    for (const [code, url] of [
      ["ECONNRESET", "http://127.0.0.1:5000/v2/app/blobs/uploads/"],
      ["UND_ERR_SOCKET", "https://registry.example/v2/app/blobs/uploads/"],
      ["ECONNREFUSED", "https://registry.example/v2/"],
    ] as const) {
      const err = errorFromNetwork(socketError(code), "POST", url, { registry: "r" }, 4, {
        beforeAnswer: true,
      });
      assert.equal(mayPass(new CopyError("destination", "reg/app", layer, err)), true, code);
    }
    const untrusted = errorFromNetwork(
      socketError("UNABLE_TO_VERIFY_LEAF_SIGNATURE"),
      "GET",
      "https://registry.example/v2/",
      { registry: "registry.example" },
      1,
      { beforeAnswer: true },
    );
    assert.equal(mayPass(untrusted), false);
  });

  test("a cancellation, a usage error and bad content never pass", () => {
    const cancelled = new OcicompatError("CANCELLED", "cancelled", {
      cause: registryError(503, true),
    });
    assert.equal(mayPass(cancelled), false);
    assert.equal(
      mayPass(new OcicompatError("USAGE", "no", { cause: socketError("ECONNRESET") })),
      false,
    );
    assert.equal(mayPass(new OcicompatError("DIGEST_MISMATCH", "bytes differ")), false);
    assert.equal(mayPass(new Error("boom")), false);
    assert.equal(mayPass(undefined), false);
  });

  test("a cycle of causes ends the walk", () => {
    const a = new Error("a") as Error & { cause?: unknown };
    const b = new Error("b", { cause: a });
    a.cause = b;
    assert.equal(mayPass(a), false);
  });
});

describe("retryDelayMs", () => {
  test("doubles from 1 s by default, as skopeo's, and takes a fixed delay when given", () => {
    assert.deepEqual(
      [1, 2, 3, 4].map((n) => retryDelayMs(n, undefined)),
      [1000, 2000, 4000, 8000],
    );
    assert.deepEqual(
      [1, 2, 3].map((n) => retryDelayMs(n, 250)),
      [250, 250, 250],
    );
    assert.equal(retryDelayMs(2, 0), 2000, "0 is skopeo's 'not set'");
  });
});

describe("copyImage with retries", () => {
  const work = tempDir("ocicompat-copy-retry-");
  after(() => work.remove());

  /**
   * The demo layout, whose layer reads fail in the first `failures` attempts as a registry
   * restarting would (connection refused: the copy itself does not retry that).
   */
  async function flakySource(failures: number): Promise<Store> {
    const src = await openLayout("examples/demo-layout");
    let attempt = 0;
    return storeWith(src, {
      // Each attempt resolves the reference once, first.
      resolve: (r, o) => {
        attempt++;
        return src.resolve(r, o);
      },
      fetch: (d, o) => {
        if (d.mediaType.includes("layer") && attempt <= failures) {
          return Promise.reject(
            new RegistryError({
              code: "UNREACHABLE",
              message: "cannot reach 127.0.0.1:5000: connection refused",
              temporary: false,
              method: "GET",
              url: "http://127.0.0.1:5000/v2/app/blobs/x",
              cause: socketError("ECONNREFUSED"),
            }),
          );
        }
        return src.fetch(d, o);
      },
    });
  }

  test("copies again after a failure that may pass, into the new layout the first attempt made", async () => {
    const dir = join(work.path, "retried");
    const dst = await openLayout(dir, { create: true });
    const retries: number[] = [];
    const result = await copyImage({
      src: await flakySource(2),
      reference: "demo",
      dst,
      tag: "v1",
      retries: 3,
      retryDelayMs: 1,
      onRetry: (r) => retries.push(r.attempt),
    });
    assert.deepEqual(retries, [1, 2]);
    assert.equal((await dst.resolve("v1")).digest, result.root.digest);
  });

  test("gives up after the retries it was given, with the last failure", async () => {
    const dst = await openLayout(join(work.path, "exhausted"), { create: true });
    const retries: number[] = [];
    await assert.rejects(
      copyImage({
        src: await flakySource(5),
        reference: "demo",
        dst,
        tag: "v1",
        retries: 2,
        retryDelayMs: 1,
        onRetry: (r) => retries.push(r.attempt),
      }),
      (err: unknown) => err instanceof CopyError && err.side === "source",
    );
    assert.deepEqual(retries, [1, 2]);
  });

  test("a cancellation during the wait ends the copy: no further attempt", async () => {
    const controller = new AbortController();
    const dst = await openLayout(join(work.path, "cancelled"), { create: true });
    let attempts = 0;
    await assert.rejects(
      copyImage({
        src: await flakySource(5),
        reference: "demo",
        dst,
        tag: "v1",
        retries: 5,
        retryDelayMs: 60_000,
        signal: controller.signal,
        onRetry: () => {
          attempts++;
          controller.abort();
        },
      }),
      (err: unknown) => err instanceof OcicompatError && err.code === "CANCELLED",
    );
    assert.equal(attempts, 1);
  });
});
