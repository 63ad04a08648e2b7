// The decider's memory of verdicts (no registry: plain indexes need no selection): reuse within
// the time limit, a new node generation, and the count and byte limits.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createMemoryStore } from "../../../src/content/memory.js";
import type { RegistryStore } from "../../../src/content/registry/index.js";
import { createDecider, type Content } from "../../../src/ops/mirror/decide.js";
import type { UpstreamRepository } from "../../../src/ops/mirror/upstreams.js";
import { blob } from "../../content/layout-support.js";
import { catalog, s390xNode } from "./support.js";

const repository: UpstreamRepository = {
  registry: { repository: "team/app" } as RegistryStore,
  cached: createMemoryStore(),
};
const signal = new AbortController().signal;

function plainIndex(padding: number): Content {
  const b = blob(
    "application/vnd.oci.image.index.v1+json",
    JSON.stringify({ schemaVersion: 2, manifests: [], annotations: { pad: "x".repeat(padding) } }),
  );
  return { descriptor: b.desc, bytes: b.bytes };
}

test("a verdict is reused within the time limit and for the same node generation only", async () => {
  let clock = 0;
  const decider = createDecider({ catalog, verdictTtlMs: 1000, now: () => clock });
  const index = plainIndex(0);
  const node = { profile: s390xNode, generation: 1 };
  assert.equal((await decider.verdictFor("r", repository, index, node, signal)).remembered, false);
  assert.equal((await decider.verdictFor("r", repository, index, node, signal)).remembered, true);
  const reloaded = { profile: s390xNode, generation: 2 };
  assert.equal(
    (await decider.verdictFor("r", repository, index, reloaded, signal)).remembered,
    false,
  );
  clock = 1000;
  assert.equal(
    (await decider.verdictFor("r", repository, index, reloaded, signal)).remembered,
    false,
  );
});

test("kept verdicts stay under the byte limit: the least recently used goes first", async () => {
  const decider = createDecider({ catalog, verdictTtlMs: 60_000, maxVerdictBytes: 3000 });
  const node = { profile: s390xNode, generation: 1 };
  const [a, b, c] = [plainIndex(1000), plainIndex(1001), plainIndex(1002)];
  for (const index of [a, b, c]) await decider.verdictFor("r", repository, index, node, signal);
  assert.equal((await decider.verdictFor("r", repository, c, node, signal)).remembered, true);
  assert.equal((await decider.verdictFor("r", repository, b, node, signal)).remembered, true);
  assert.equal((await decider.verdictFor("r", repository, a, node, signal)).remembered, false);
});

test("an index with no compatibilities, features or variants is a plain verdict", async () => {
  const decider = createDecider({ catalog, verdictTtlMs: 0 });
  const { verdict } = await decider.verdictFor(
    "r",
    repository,
    plainIndex(0),
    { profile: s390xNode, generation: 1 },
    signal,
  );
  assert.equal(verdict.kind, "plain");
});
