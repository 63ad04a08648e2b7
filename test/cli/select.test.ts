// `ocicompat select REF` as a user runs it, a spawned CLI against the real CNCF registry: the
// digest it prints, --platform and --tags, -o json and yaml, dangling and mis-sized compat
// content, and errors.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parse as parseYaml } from "yaml";
import { freePort } from "../support/registry.js";
import {
  compatBlob,
  danglingCompatImage,
  indexBlob,
  pushRaw,
  runCliAsync,
  variantImage,
} from "../ops/select-support.js";
import { hasStackTrace } from "./run-cli.js";
import {
  AMD,
  demo,
  freshCache,
  INTEL,
  OLD,
  ref,
  registry,
  useDemoRegistry,
  work,
} from "./select-cli-support.js";

useDemoRegistry();

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
    const { generic, ghost, index, blobs } = danglingCompatImage("cli dangling");
    await pushRaw(registry.host, "demo/dangling", blobs, index.desc, "v1");
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
