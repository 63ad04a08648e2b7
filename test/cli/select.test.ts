// `ocicompat select REF` as a user runs it: a spawned CLI against the real CNCF registry, reached
// through a loopback counting proxy so the request budget of the whole process is measured.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { after, before, describe, test } from "node:test";
import { parse as parseYaml } from "yaml";
import { openLayout } from "../../src/content/layout.js";
import { MediaType } from "../../src/oci/media-types.js";
import { blob, tempDir } from "../content/layout-support.js";
import { freePort, startRegistry, type TestRegistry } from "../support/registry.js";
import {
  compatBlob,
  compatManifest,
  demoImage,
  indexBlob,
  pushGraph,
  pushRaw,
  pushToRegistry,
  runCliAsync,
  startCountingProxy,
  variantImage,
  type CountingProxy,
} from "../ops/select-support.js";
import { hasStackTrace } from "./run-cli.js";

const demo = demoImage("cli-select");
const work = tempDir("ocicompat-cli-select-");
let registry: TestRegistry;
let proxy: CountingProxy;
let cacheCount = 0;

const INTEL = "examples/nodes/intel-spr.json";
const AMD = "examples/nodes/amd-genoa.json";
const OLD = "examples/nodes/old-xeon.json";

/** A fresh cache directory: the run is cold. */
function freshCache(): Record<string, string> {
  return { OCICOMPAT_CACHE_DIR: `${work.path}/cache-${cacheCount++}` };
}

function ref(repo = "demo/app", tag = "v1"): string {
  return `${proxy.host}/${repo}:${tag}`;
}

before(async () => {
  registry = await startRegistry();
  proxy = await startCountingProxy(registry.host);
  await pushToRegistry(registry.host, "demo/app", demo.blobs, demo.index.desc, "v1");
});

after(async () => {
  await proxy.close();
  await registry.stop();
  work.remove();
});

describe("ocicompat select (spawned, real registry)", () => {
  test("prints just the chosen digest, one line, and exits 0", async () => {
    const cases: [string, string][] = [
      [INTEL, demo.avx512.manifest.desc.digest],
      [AMD, demo.v3.manifest.desc.digest],
      [OLD, demo.generic.manifest.desc.digest],
    ];
    for (const [node, digest] of cases) {
      const r = await runCliAsync(["select", ref(), "--node", node], freshCache());
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, `${digest}\n`);
      assert.equal(r.stderr, "");
    }
  });

  test("nothing fits: exit 1, nothing on stdout, the reason for each entry on stderr", async () => {
    const r = await runCliAsync(
      ["select", ref(), "--node", OLD, "--platform", "linux/s390x"],
      freshCache(),
    );
    assert.equal(r.status, 1);
    assert.equal(r.stdout, "");
    assert.match(
      r.stderr,
      /^ocicompat: .*demo\/app:v1: no entry fits node old-xeon \(linux\/s390x\)$/m,
    );
    assert.match(
      r.stderr,
      /entry 3 \(linux\/arm64, sha256:\w{64}\): excluded: platform linux\/arm64 does not run/,
    );
    assert.equal(r.stderr.trim().split("\n").length, 5);
  });

  test("--platform and --tags change the choice", async () => {
    const arm = await runCliAsync(
      ["select", ref(), "--node", INTEL, "--platform", "linux/arm64"],
      freshCache(),
    );
    assert.equal(arm.stdout, `${demo.arm64.manifest.desc.digest}\n`);
    const amd = await runCliAsync(
      ["select", ref(), "--node", INTEL, "--tags", "amd"],
      freshCache(),
    );
    assert.equal(amd.stdout, `${demo.generic.manifest.desc.digest}\n`);
  });

  test("-o json is the full ranking with every entry explained", async () => {
    const r = await runCliAsync(["select", ref(), "--node", AMD, "-o", "json"], freshCache());
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as {
      verdict: string;
      compatible: boolean;
      reference: string;
      root: { digest: string; kind: string };
      chosen: { index: number; digest: string; platform: string };
      node: { name: string; source: string; input: string; platform: string };
      ranking: number[];
      entries: {
        index: number;
        path: number[];
        digest: string;
        platform: string;
        features: string[];
        status: string;
        rank?: number;
        score?: number;
        specificity?: { variant: number; features: number; osFeatures: number; labels: number };
        excludedBy?: string;
        reasons: { step: string; message: string }[];
        compat?: {
          form: string;
          digest: string;
          state: string;
          result?: {
            sets: {
              labels: { label: string; required: string; observed?: unknown; status: string }[];
            }[];
          };
        };
      }[];
      warnings: string[];
    };
    assert.equal(out.verdict, "compatible");
    assert.equal(out.compatible, true);
    assert.equal(out.reference, ref());
    assert.deepEqual(out.root, { ...demo.index.desc, kind: "index" });
    assert.deepEqual(out.chosen, {
      index: 1,
      mediaType: demo.v3.manifest.desc.mediaType,
      digest: demo.v3.manifest.desc.digest,
      size: demo.v3.manifest.desc.size,
      platform: "linux/amd64/v3",
    });
    assert.deepEqual(out.node, {
      name: "amd-genoa",
      source: "file",
      input: AMD,
      platform: "linux/amd64/v4",
    });
    assert.deepEqual(out.ranking, [1, 0]);
    assert.deepEqual(
      out.entries.map((e) => [e.index, e.status, e.rank, e.excludedBy]),
      [
        [0, "compatible", 2, undefined],
        [1, "chosen", 1, undefined],
        [2, "excluded", undefined, "compatibilities"],
        [3, "excluded", undefined, "platform"],
      ],
    );
    const v3 = out.entries[1];
    assert.deepEqual(v3?.features, ["avx2", "bmi2"]);
    assert.equal(v3?.compat?.form, "manifest");
    assert.equal(v3?.compat?.digest, demo.v3Compat.descriptor.digest);
    const glibc = out.entries[2]?.compat?.result?.sets[1]?.labels.find(
      (l) => l.label === "oci.os.glibc",
    );
    assert.deepEqual(
      glibc && { required: glibc.required, observed: glibc.observed, status: glibc.status },
      {
        required: ">=2.31, <=2.37",
        observed: "2.39",
        status: "fail",
      },
    );
    assert.deepEqual(out.warnings, []);
  });

  test("-o yaml gives the same document", async () => {
    const json = await runCliAsync(["select", ref(), "--node", INTEL, "-o", "json"], freshCache());
    const yaml = await runCliAsync(["select", ref(), "--node", INTEL, "-o", "yaml"], freshCache());
    assert.equal(yaml.status, 0, yaml.stderr);
    assert.deepEqual(parseYaml(yaml.stdout), JSON.parse(json.stdout));
  });

  test("a dangling compatibilities descriptor: a loud warning naming the digest, the entry excluded", async () => {
    const generic = variantImage("cli dangling generic", { os: "linux", architecture: "amd64" });
    const tuned = variantImage("cli dangling tuned", {
      os: "linux",
      architecture: "amd64",
      variant: "v3",
    });
    const ghost = compatManifest([{ "oci.cpu.features": "AVX2" }], {
      os: "linux",
      architecture: "amd64",
    }).descriptor;
    const index = indexBlob([
      { descriptor: generic.manifest.desc, platform: { os: "linux", architecture: "amd64" } },
      {
        descriptor: tuned.manifest.desc,
        platform: { os: "linux", architecture: "amd64", variant: "v3", compatibilities: ghost },
      },
    ]);
    await pushRaw(
      registry.host,
      "demo/dangling",
      [...generic.blobs, ...tuned.blobs, index],
      index.desc,
      "v1",
    );
    const r = await runCliAsync(["select", ref("demo/dangling"), "--node", INTEL], freshCache());
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${generic.manifest.desc.digest}\n`);
    assert.match(
      r.stderr,
      new RegExp(
        `^ocicompat: warning: .*entry 1 .*${ghost.digest} cannot be read \\(dangling: .*\\); the entry is excluded$`,
        "m",
      ),
    );
  });

  test("a compatibilities blob whose descriptor has the wrong size is excluded with a warning", async () => {
    const a = variantImage("cli lying a", { os: "linux", architecture: "amd64", variant: "v2" });
    const b = variantImage("cli lying b", { os: "linux", architecture: "amd64" });
    const good = compatBlob([{ "oci.os.glibc": ">=2.31" }]);
    const lying = { ...good.descriptor, size: good.descriptor.size + 1 };
    const index = indexBlob([
      {
        descriptor: a.manifest.desc,
        platform: { os: "linux", architecture: "amd64", variant: "v2", compat: lying },
      },
      { descriptor: b.manifest.desc, platform: { os: "linux", architecture: "amd64" } },
    ]);
    await pushRaw(
      registry.host,
      "demo/lying",
      [...a.blobs, ...b.blobs, ...good.blobs, index],
      index.desc,
      "v1",
    );
    const r = await runCliAsync(["select", ref("demo/lying"), "--node", INTEL], freshCache());
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${b.manifest.desc.digest}\n`);
    assert.match(r.stderr, new RegExp(`warning: .*${lying.digest} cannot be read`));
    assert.equal(hasStackTrace(r.stderr), false, r.stderr);
  });

  test("errors exit 2 with one line and no stack trace", async () => {
    const port = await freePort();
    const cases: [string[], RegExp][] = [
      [["select", ref("demo/app", "nope"), "--node", INTEL], /nope|not found|unknown/i],
      [
        ["select", ref(), "--node", INTEL, "--platform", "linux"],
        /platform "linux" has no architecture/,
      ],
      [
        ["select", ref(), "--node", `${work.path}/absent.json`],
        /absent\.json: node profile: no such file/,
      ],
      [
        ["select", `127.0.0.1:${port}/demo/app:v1`, "--node", INTEL],
        /cannot reach|connection refused/i,
      ],
      [["select", "Not A Reference!", "--node", INTEL], /reference|invalid/i],
      [["select"], /missing required argument/],
    ];
    for (const [args, message] of cases) {
      const r = await runCliAsync(args, freshCache());
      assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(hasStackTrace(r.stderr), false, r.stderr);
      assert.equal(r.stdout, "");
    }
  });
});

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

describe("trust (issue #12): budgets, malformed descriptors, --timeout", () => {
  test("an image over a budget: exit 2, one line naming the entry, the budget and its flag; the flag raises it", async () => {
    const tight = await runCliAsync(
      ["select", ref(), "--node", INTEL, "--max-compat-bytes", "100"],
      freshCache(),
    );
    assert.equal(tight.status, 2, tight.stderr);
    assert.equal(tight.stdout, "");
    assert.match(
      tight.stderr,
      /\$\.manifests\[\d\]\.platform\.compat(ibilities)? \(compatibilities (blob|manifest) sha256:[0-9a-f]{64}\)/,
    );
    assert.match(tight.stderr, /the budget is 100 \(--max-compat-bytes raises it\)/);
    assert.ok(!hasStackTrace(tight.stderr), tight.stderr);
    const raised = await runCliAsync(
      ["select", ref(), "--node", INTEL, "--max-compat-bytes", "1MiB", "--max-sets", "10"],
      freshCache(),
    );
    assert.equal(raised.stdout, `${demo.avx512.manifest.desc.digest}\n`, raised.stderr);
    const bad = await runCliAsync(["select", ref(), "--node", INTEL, "--max-sets", "lots"]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--max-sets "lots" is not a positive whole number/);
  });

  test("a 1 MB digest string in an index entry: exit 2 with the JSON path, a short line, nothing on stdout", async () => {
    const image = variantImage("cli huge digest", { os: "linux", architecture: "amd64" });
    const dir = `${work.path}/huge-digest`;
    const layout = await openLayout(dir, { create: true });
    const index = blob(
      MediaType.ImageIndex,
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ImageIndex,
        manifests: [
          {
            ...image.manifest.desc,
            digest: `sha256:${"a".repeat(1_000_000)}`,
            platform: { os: "linux", architecture: "amd64" },
          },
        ],
      }),
    );
    for (const b of [...image.blobs, index]) await layout.push(b.desc, b.bytes);
    await layout.tag(index.desc, "v1");
    const r = await runCliAsync(["select", `oci:${dir}:v1`, "--node", INTEL]);
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /\$\.manifests\[0\]\.digest: sha256 digest must be 64 lowercase hex/);
    assert.ok(r.stderr.length < 1000, `stderr is ${r.stderr.length} bytes`);
  });

  test("--timeout ends select and check with exit 2 before the server answers (an in-test server that answers only after 4 s)", async () => {
    const server: Server = createServer((_req, res) => {
      // Answers late, with a 404: a run that waited for it would end with NOT_FOUND instead.
      setTimeout(() => res.writeHead(404).end(), 4000).unref();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    try {
      for (const verb of ["select", "check"]) {
        const r = await runCliAsync([
          verb,
          `127.0.0.1:${port}/hang/app:v1`,
          "--node",
          INTEL,
          "--timeout",
          "1s",
        ]);
        assert.equal(r.status, 2, `${verb}: ${r.stderr}`);
        assert.match(r.stderr, /gave up after 1s \(--timeout\)/, verb);
        assert.equal(r.stdout, "");
      }
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
