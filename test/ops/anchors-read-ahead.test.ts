// verify --gc and protect on the real registry (Debian docker-registry, distribution 2.8) behind
// the counting proxy: every compat site's anchors are read at once (verify beside the tag list),
// each tag once, a tag a lying HEAD calls absent is still found, reports keep the walk's order,
// and protect, which reads ahead, still reads a `.compat` tag afresh right before it writes it.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { compatTag, fallbackTag } from "../../src/ops/anchors.js";
import { protect } from "../../src/ops/protect.js";
import { verify } from "../../src/ops/verify.js";
import { attachedSample, pushSample, registryStore, tagged } from "./attach-support.js";
import { holdUntilAsked, startProxiedRegistry, type ProxiedRegistry } from "./copy-support.js";

let fixture: ProxiedRegistry;

before(async () => {
  fixture = await startProxiedRegistry();
});

after(async () => {
  await fixture.close();
});

/** The sample image at `repository:v1`, attached with `anchor`, and a store of it through the proxy. */
async function attached(repository: string, anchor: "auto" | "none" = "auto") {
  const { first, second } = await attachedSample(fixture.registry.host, repository, anchor);
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

/** How many requests of each method went to the manifest `tag` of `repository`. */
function askedFor(repository: string, tag: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const seen of fixture.proxy.seen) {
    if (seen.url !== `/v2/${repository}/manifests/${tag}`) continue;
    counts[seen.method] = (counts[seen.method] ?? 0) + 1;
  }
  return counts;
}

describe("verify --gc reads each tag once", () => {
  test("a subject's absent referrers fallback index costs one GET on a registry without the referrers API", async () => {
    const { first, second, store } = await attached("vgc/nofallback", "none");
    fixture.proxy.reset();
    const result = await verify(store, "v1", { gc: true });
    assert.deepEqual(
      result.anchors?.map((row) => row.anchors),
      [[], []],
    );
    for (const subject of [first, second]) {
      assert.deepEqual(askedFor("vgc/nofallback", fallbackTag(subject)), { GET: 1 }, subject);
    }
  });

  test("a .compat tag the tag list names is resolved once, for the list and for the anchors", async () => {
    const { first, second, store } = await attached("vgc/listed");
    fixture.proxy.reset();
    const result = await verify(store, "v1", { gc: true });
    assert.ok(result.anchors?.every((row) => row.protected));
    for (const subject of [first, second]) {
      assert.deepEqual(askedFor("vgc/listed", compatTag(subject)), { HEAD: 1 }, subject);
      // The fallback index: listed too (HEAD), and read for its entries (GET).
      assert.deepEqual(askedFor("vgc/listed", fallbackTag(subject)), { GET: 1, HEAD: 1 });
    }
  });
});

describe("protect reads ahead, and writes with a fresh read", () => {
  test("the second site's .compat tag is asked while the first site's is unanswered", async () => {
    const { first, second, store } = await attached("protect/once");
    const repo = "/v2/protect/once";
    const asked = holdUntilAsked(fixture.proxy, `HEAD ${repo}/manifests/${compatTag(first)}`, [
      `HEAD ${repo}/manifests/${compatTag(second)}`,
    ]);
    const result = await protect(store, "v1");
    assert.equal(await asked, "asked");
    assert.deepEqual(
      result.entries.map((e) => [e.subject, e.status]),
      [
        [first, "already"],
        [second, "already"],
      ],
    );
  });

  test("a .compat tag another writer sets after the read ahead is left alone, as a conflict", async () => {
    const { first, store } = await attached("protect/moved", "none");
    const other = await pushSample(fixture.registry.host, "protect/moved", "other", "another");
    const direct = registryStore(fixture.registry.host, "protect/moved");
    const elsewhere = other.manifests[0]!;
    // The read ahead asks with a HEAD, then a GET for its 404; the read right before the write
    // is one GET.
    let gets = 0;
    fixture.proxy.reset();
    fixture.proxy.rule = (method, url) => {
      if (method !== "GET" || !url.endsWith(`/manifests/${compatTag(first)}`)) return undefined;
      gets += 1;
      if (gets < 2) return undefined;
      // The second read, right before protect writes: another writer got there first.
      const moved = direct.pushManifest(elsewhere.desc, elsewhere.bytes, compatTag(first));
      return { kind: "hold", until: moved };
    };
    try {
      const result = await protect(store, "v1");
      const site = result.entries.find((e) => e.subject === first);
      assert.equal(site?.status, "conflict", JSON.stringify(site));
      assert.equal(gets, 2, "read ahead, then afresh");
      fixture.proxy.reset();
      assert.equal((await tagged(direct, compatTag(first))).desc.digest, elsewhere.desc.digest);
    } finally {
      await direct.close();
    }
  });
});
