// The request budget of a spawned `ocicompat select` process, counted at the loopback proxy in
// front of the real CNCF registry: cold and warm runs for a Proposal I + J image and for J blobs
// only, and no request at all for an OCI layout.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { openLayout } from "../../src/content/layout.js";
import {
  compatBlob,
  indexBlob,
  pushGraph,
  pushToRegistry,
  runCliAsync,
  variantImage,
} from "../ops/select-support.js";
import {
  AMD,
  demo,
  freshCache,
  INTEL,
  proxy,
  ref,
  registry,
  useDemoRegistry,
  work,
} from "./select-cli-support.js";

useDemoRegistry();

describe("request budget of the CLI process (counted at a proxy in front of the registry)", () => {
  test("Proposal I + J image: cold 5 requests (DESIGN §5), warm the tag + 3 presence HEADs for what the cache answered", async () => {
    const env = freshCache();
    proxy.reset();
    const cold = await runCliAsync(["select", ref(), "--node", INTEL], env);
    assert.equal(cold.status, 0, cold.stderr);
    const coldRequests = [...proxy.requests];
    // Whether compat content the cache answers is still there is asked of the registry (issue
    // #12.7); a cold read reaches the registry and so proves it by itself.
    const heads = [
      `HEAD /v2/demo/app/blobs/${demo.avx512Compat.descriptor.digest}`,
      `HEAD /v2/demo/app/blobs/${demo.v3Compat.blobs[1]?.desc.digest}`,
      `HEAD /v2/demo/app/manifests/${demo.v3Compat.descriptor.digest}`,
    ];
    const warmRequests = ["HEAD /v2/demo/app/manifests/v1", ...heads].sort();
    assert.deepEqual(
      coldRequests.slice().sort(),
      [
        `GET /v2/demo/app/blobs/${demo.avx512Compat.descriptor.digest}`,
        `GET /v2/demo/app/blobs/${demo.v3Compat.blobs[1]?.desc.digest}`,
        `GET /v2/demo/app/manifests/${demo.index.desc.digest}`,
        `GET /v2/demo/app/manifests/${demo.v3Compat.descriptor.digest}`,
        "HEAD /v2/demo/app/manifests/v1",
      ].sort(),
    );
    // The tag first; the index before what it references.
    assert.equal(coldRequests[0], "HEAD /v2/demo/app/manifests/v1");
    assert.equal(coldRequests[1], `GET /v2/demo/app/manifests/${demo.index.desc.digest}`);
    proxy.reset();
    const warm = await runCliAsync(["select", ref(), "--node", INTEL], env);
    assert.equal(warm.stdout, cold.stdout);
    assert.deepEqual(proxy.requests.slice().sort(), warmRequests);
    // check REF reads the same, so it is warm too.
    proxy.reset();
    const check = await runCliAsync(["check", ref(), "--node", INTEL], env);
    assert.equal(check.status, 0, check.stderr);
    assert.deepEqual(proxy.requests.slice().sort(), warmRequests);
  });

  test("Proposal J blobs only: cold 2 + a GET per distinct blob, warm 1 + a HEAD per blob", async () => {
    const a = variantImage("budget j a", { os: "linux", architecture: "amd64", variant: "v3" });
    const b = variantImage("budget j b", { os: "linux", architecture: "amd64", variant: "v2" });
    const c = variantImage("budget j c", { os: "linux", architecture: "amd64" });
    const j1 = compatBlob([{ "oci.cpu.features": "AVX2, FMA", score: 2 }]);
    const j2 = compatBlob([{ "oci.os.glibc": ">=2.28" }]);
    const index = indexBlob([
      {
        descriptor: a.manifest.desc,
        platform: { os: "linux", architecture: "amd64", variant: "v3", compat: j1.descriptor },
      },
      {
        descriptor: b.manifest.desc,
        platform: { os: "linux", architecture: "amd64", variant: "v2", compat: j2.descriptor },
      },
      {
        descriptor: c.manifest.desc,
        platform: { os: "linux", architecture: "amd64", compat: j2.descriptor },
      },
    ]);
    await pushToRegistry(
      registry.host,
      "demo/jblobs",
      [...a.blobs, ...b.blobs, ...c.blobs, ...j1.blobs, ...j2.blobs, index],
      index.desc,
      "v1",
    );
    const env = freshCache();
    proxy.reset();
    const cold = await runCliAsync(["select", ref("demo/jblobs"), "--node", INTEL], env);
    assert.equal(cold.stdout, `${a.manifest.desc.digest}\n`, cold.stderr);
    assert.equal(proxy.requests.length, 4, proxy.requests.join("\n"));
    proxy.reset();
    await runCliAsync(["select", ref("demo/jblobs"), "--node", INTEL], env);
    assert.deepEqual(
      proxy.requests.slice().sort(),
      [
        "HEAD /v2/demo/jblobs/manifests/v1",
        `HEAD /v2/demo/jblobs/blobs/${j1.descriptor.digest}`,
        `HEAD /v2/demo/jblobs/blobs/${j2.descriptor.digest}`,
      ].sort(),
    );
  });

  test("an OCI layout needs no server at all", async () => {
    const dir = `${work.path}/layout`;
    await pushGraph(await openLayout(dir, { create: true }), demo.blobs, demo.index.desc, "v1");
    proxy.reset();
    const r = await runCliAsync(["select", `oci:${dir}:v1`, "--node", AMD], freshCache());
    assert.equal(r.stdout, `${demo.v3.manifest.desc.digest}\n`, r.stderr);
    assert.deepEqual(proxy.requests, []);
  });
});
