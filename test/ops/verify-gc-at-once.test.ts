// verify --gc on the real registry (Debian docker-registry, distribution 2.8) behind the counting
// proxy: every compat site's anchors are read at once, beside the tag list, a tag a lying HEAD calls
// absent is still found, and the report keeps the walk's order.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { compatTag } from "../../src/ops/anchors.js";
import { attach } from "../../src/ops/attach.js";
import { verify } from "../../src/ops/verify.js";
import { CREATED, SETS, pushSample, registryStore } from "./attach-support.js";
import { holdUntilAsked, startProxiedRegistry, type ProxiedRegistry } from "./copy-support.js";

let fixture: ProxiedRegistry;

before(async () => {
  fixture = await startProxiedRegistry();
});

after(async () => {
  await fixture.close();
});

/** The sample image (two platforms) at `repository:v1`, both entries attached, read through the proxy. */
async function attached(repository: string) {
  const image = await pushSample(fixture.registry.host, repository, "v1");
  const direct = registryStore(fixture.registry.host, repository);
  try {
    await attach(direct, "v1", { sets: SETS, all: true, created: CREATED });
  } finally {
    await direct.close();
  }
  const [first, second] = image.manifests.map((m) => m.desc.digest) as [string, string];
  return { first, second, store: fixture.store(repository, fixture.proxy.host) };
}

describe("verify --gc reads anchors at once", () => {
  test("the second site's .compat tag and the tag list are asked while the first site's is unanswered", async () => {
    const { first, second, store } = await attached("vgc/once");
    const repo = "/v2/vgc/once";
    const asked = holdUntilAsked(fixture.proxy, `HEAD ${repo}/manifests/${compatTag(first)}`, [
      `HEAD ${repo}/manifests/${compatTag(second)}`,
      `GET ${repo}/tags/list`,
    ]);
    const result = await verify(store, "v1", { gc: true });
    assert.equal(await asked, "asked");
    assert.deepEqual(
      result.anchors?.map((row) => [row.subject, row.protected]),
      [
        [first, true],
        [second, true],
      ],
    );
  });

  test("a .compat tag the registry's HEAD wrongly calls absent is still found: the 404 is asked again with a GET", async () => {
    const { store } = await attached("vgc/lying");
    fixture.proxy.reset();
    fixture.proxy.rule = (method, url) =>
      method === "HEAD" && url.includes(".compat")
        ? { kind: "status", status: 404, body: { errors: [{ code: "MANIFEST_UNKNOWN" }] } }
        : undefined;
    const result = await verify(store, "v1", { gc: true });
    for (const row of result.anchors ?? []) {
      assert.ok(row.protected, row.location);
      assert.ok(
        row.anchors.some((a) => a.kind === "compat-tag" && a.name === compatTag(row.subject)),
      );
    }
    assert.equal(result.anchors?.length, 2);
  });
});
