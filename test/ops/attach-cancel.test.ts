// An attach or detach cancelled midway (the command's --timeout, a caller's AbortSignal), on the
// real CNCF distribution registry: the writes stop, the tag still names the old, complete index, and
// a later run finishes the job.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createStoreOpener } from "../../src/content/open.js";
import type { Store } from "../../src/content/store.js";
import { OcicompatError } from "../../src/oci/errors.js";
import { MediaType } from "../../src/oci/media-types.js";
import { attach } from "../../src/ops/attach.js";
import { detach } from "../../src/ops/detach.js";
import { parseReference } from "../../src/oci/reference.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import { SETS, entries, jsonOf, platformOf, pushSample, tagged } from "./attach-support.js";

let registry: TestRegistry;

before(async () => {
  registry = await startRegistry();
});

after(async () => {
  await registry.stop();
});

/** Every manifest the index lists, and every blob they list, is in the store. */
async function assertComplete(
  store: Store,
  index: { mediaType: string; digest: string; size: number },
) {
  const doc = await jsonOf(store, index);
  for (const entry of entries(doc)) {
    const desc = entry as { mediaType: string; digest: string; size: number };
    assert.ok(await store.exists(desc), `${desc.digest} is missing`);
    const manifest = await jsonOf(store, desc);
    for (const child of [manifest["config"], ...((manifest["layers"] as unknown[]) ?? [])]) {
      assert.ok(
        await store.exists(child as typeof desc),
        `${(child as typeof desc).digest} is missing`,
      );
    }
  }
}

/** A store whose requests abort `controller` when `when` matches one (before it is sent). */
async function storeAborting(
  repository: string,
  controller: AbortController,
  why: OcicompatError,
  when: (method: string, url: string) => boolean,
) {
  const opener = createStoreOpener({
    onRequest: (method, url) => {
      if (when(method, url)) controller.abort(why);
    },
  });
  const { store } = await opener.open(parseReference(`${registry.host}/${repository}:v1`));
  return { store, opener };
}

const points: [string, (method: string, url: string) => boolean][] = [
  ["the compat manifest", (m, u) => m === "PUT" && /\/manifests\/sha256:/.test(u)],
  ["the anchor tag", (m, u) => m === "PUT" && /\/manifests\/sha256-[0-9a-f]{64}\.compat$/.test(u)],
  ["the index under the tag", (m, u) => m === "PUT" && /\/manifests\/v1$/.test(u)],
];

describe("attach cancelled midway (real registry)", () => {
  for (const [i, [name, when]] of points.entries()) {
    test(`aborted at ${name}: the tag still names the old, complete index, and a second run completes`, async () => {
      const repository = `cancel/attach${i}`;
      const image = await pushSample(registry.host, repository, "v1");
      const controller = new AbortController();
      const why = new OcicompatError("TIMEOUT", "gave up (the test's deadline)");
      const { store, opener } = await storeAborting(repository, controller, why, when);
      try {
        await assert.rejects(
          attach(store, "v1", { sets: SETS, platform: "linux/amd64", signal: controller.signal }),
          (err) => err === why,
        );
        assert.ok(controller.signal.aborted);
        const now = await tagged(store, "v1");
        assert.equal(now.desc.digest, image.index.desc.digest);
        assert.equal(platformOf(entries(now.doc)[0])["compatibilities"], undefined);
        await assertComplete(store, now.desc);

        const done = await attach(store, "v1", { sets: SETS, platform: "linux/amd64" });
        const after = await tagged(store, "v1");
        assert.equal(after.desc.digest, done.newIndex.digest);
        const compat = platformOf(entries(after.doc)[0])["compatibilities"] as { digest: string };
        assert.ok(
          await store.exists({
            mediaType: MediaType.ImageManifest,
            digest: compat.digest,
            size: 0,
          }),
        );
      } finally {
        await opener.close();
      }
    });
  }

  test("detach aborted before the index is written leaves the tag on the index with compatibilities", async () => {
    const repository = "cancel/detach";
    let armed = false;
    await pushSample(registry.host, repository, "v1");
    const controller = new AbortController();
    const why = new OcicompatError("TIMEOUT", "gave up (the test's deadline)");
    const { store, opener } = await storeAborting(
      repository,
      controller,
      why,
      (m, u) => m === "PUT" && /\/manifests\/v1$/.test(u) && armed,
    );
    try {
      const attached = await attach(store, "v1", { sets: SETS, platform: "linux/amd64" });
      armed = true;
      await assert.rejects(
        detach(store, "v1", { platform: "linux/amd64", signal: controller.signal }),
        (err) => err === why,
      );
      const now = await tagged(store, "v1");
      assert.equal(now.desc.digest, attached.newIndex.digest);
      assert.notEqual(platformOf(entries(now.doc)[0])["compatibilities"], undefined);
    } finally {
      await opener.close();
    }
  });
});
