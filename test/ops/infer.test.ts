// `infer` on images built here from real ELF files, read from an OCI layout and from the real
// registry: the same rules from both, evidence naming the true layer digests, whiteouts honoured,
// gzip, zstd and plain tar layers, and only the asked-for entry's layers fetched.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { copyGraph } from "../../src/content/copy.js";
import { openLayout } from "../../src/content/layout.js";
import { createMemoryStore } from "../../src/content/memory.js";
import { createRegistryStore } from "../../src/content/registry/index.js";
import type { Store } from "../../src/content/store.js";
import { infer, type InferResult } from "../../src/ops/infer.js";
import { attach } from "../../src/ops/attach.js";
import { inferredSetsFor, isBrokenImageError } from "../../src/ops/infer.js";
import { pushAll, tempDir } from "../content/layout-support.js";
import {
  buildImage,
  compilePrograms,
  debianBase,
  NVIDIA_REQUIRE_CUDA_12_8,
  type BuiltImage,
  type Programs,
} from "../support/infer-images.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";

let registry: TestRegistry;
let programs: Programs;
let image: BuiltImage;
let broken: BuiltImage;
const dir = tempDir("ocicompat-infer-");

async function place(
  built: BuiltImage,
  repository: string,
): Promise<{ layout: Store; remote: Store }> {
  const mem = createMemoryStore();
  await pushAll(mem, built.blobs);
  const layout = await openLayout(`${dir.path}/${repository}`, { create: true });
  await copyGraph(mem, layout, built.index.desc, { tag: "v1" });
  const remote = createRegistryStore({ registry: registry.host, repository });
  await copyGraph(mem, remote, built.index.desc, { tag: "v1" });
  return { layout, remote };
}

function rulesOf(result: InferResult) {
  return result.entries.map((e) => ({
    platform: e.platformText,
    sets: e.sets,
    findings: e.findings.map((f) => [f.severity, f.code]),
  }));
}

before(async () => {
  registry = await startRegistry();
  programs = compilePrograms();
  image = await buildImage([
    {
      platform: { os: "linux", architecture: "amd64", variant: "v3" },
      layers: [
        { items: debianBase(programs), compression: "gzip" },
        {
          items: [
            { path: "usr/local/bin/app", file: programs.v3WithNote },
            { path: "usr/local/bin/stray", file: programs.arm64 },
          ],
          compression: "zstd",
        },
        // The build removes the stray arm64 file again: it must not count.
        { items: [{ path: "usr/local/bin/.wh.stray", content: "" }], compression: "none" },
      ],
      entrypoint: ["app"],
      env: ["PATH=/usr/local/bin:/usr/bin:/bin", `NVIDIA_REQUIRE_CUDA=${NVIDIA_REQUIRE_CUDA_12_8}`],
    },
    {
      platform: { os: "linux", architecture: "arm64" },
      layers: [{ items: [{ path: "app", file: programs.arm64 }], compression: "gzip" }],
      entrypoint: ["/app"],
    },
  ]);
  broken = await buildImage([
    {
      platform: { os: "linux", architecture: "amd64" },
      layers: [
        { items: debianBase(programs), compression: "zstd" },
        {
          items: [
            { path: "usr/local/bin/app", file: programs.v3WithNote },
            { path: "usr/local/bin/helper", file: programs.arm64 },
          ],
          compression: "gzip",
        },
      ],
      entrypoint: ["/usr/local/bin/app"],
    },
  ]);
});

after(async () => {
  await registry?.stop();
  programs?.remove();
  dir.remove();
});

describe("infer from an OCI layout and from a registry", () => {
  it("infers the same rules from both, with evidence naming the real layer digests", async () => {
    const { layout, remote } = await place(image, "infer/good");
    const fromLayout = await infer(layout, "v1");
    const fromRegistry = await infer(remote, "v1");
    assert.deepEqual(rulesOf(fromLayout), rulesOf(fromRegistry));
    assert.equal(fromLayout.failed, false);
    const amd64 = fromLayout.entries[0]!;
    const kernel = amd64.rules.find((r) => r.label === "oci.kernel.version");
    assert.equal(kernel?.value, ">=3.2.0");
    assert.equal(kernel?.evidence[0]?.source, image.layers[0]![0]!.desc.digest);
    assert.equal(kernel?.evidence[0]?.path, "/usr/lib/x86_64-linux-gnu/libc.so.6");
    const isa = amd64.rules.find((r) => r.label === "oci.cpu.features");
    assert.equal(isa?.value, "X86_64_V3");
    assert.deepEqual(
      isa?.evidence.map((e) => [e.source, e.path]),
      [[image.layers[0]![1]!.desc.digest, "/usr/local/bin/app"]],
    );
    assert.equal(amd64.sets.length, 6, "one set per distinct NVIDIA driver alternative");
    assert.equal(amd64.sets[0]?.["oci.gpu.nvidia.driver"], ">=570.26");
    assert.equal(amd64.libc.kind, "glibc");
  });

  it("does not count an arm64 file that a later layer whited out", async () => {
    const { layout } = await place(image, "infer/whiteout");
    const result = await infer(layout, "v1", { platform: "linux/amd64/v3" });
    assert.equal(
      result.entries[0]!.findings.some((f) => f.code === "architecture-mismatch"),
      false,
    );
  });

  it("finds the arm64 file and the ISA level above the variant in a broken amd64 entry", async () => {
    const { remote } = await place(broken, "infer/broken");
    const result = await infer(remote, "v1");
    assert.equal(result.failed, true);
    const errors = result.entries[0]!.findings.filter((f) => f.severity === "error");
    assert.deepEqual(errors.map((f) => f.code).sort(), [
      "architecture-mismatch",
      "isa-above-variant",
    ]);
    const mismatch = errors.find((f) => f.code === "architecture-mismatch");
    assert.deepEqual(
      mismatch?.evidence.map((e) => [e.source, e.path]),
      [[broken.layers[0]![1]!.desc.digest, "/usr/local/bin/helper"]],
    );
  });

  it("reads only the layers of the entry asked for", async () => {
    const mem = createMemoryStore();
    await pushAll(mem, image.blobs);
    const fetched: string[] = [];
    const remote = createRegistryStore({
      registry: registry.host,
      repository: "infer/requests",
      onRequest: (method, url) => {
        if (method === "GET" && url.includes("/blobs/"))
          fetched.push(url.slice(url.lastIndexOf("/") + 1));
      },
    });
    await copyGraph(mem, remote, image.index.desc, { tag: "v1" });
    fetched.length = 0;
    await infer(remote, "v1", { platform: "linux/arm64" });
    const amd64Layers = image.layers[0]!.map((l) => l.desc.digest);
    const arm64Layers = image.layers[1]!.map((l) => l.desc.digest);
    assert.equal(
      fetched.some((d) => amd64Layers.includes(d)),
      false,
    );
    assert.ok(arm64Layers.every((d) => fetched.includes(d)));
  });

  it("stops at --max-bytes and says so, instead of reading on", async () => {
    const { layout } = await place(image, "infer/bounded");
    const result = await infer(layout, "v1", {
      platform: "linux/amd64/v3",
      bounds: { maxBytes: 4096 },
    });
    const codes = result.entries[0]!.findings.map((f) => f.code);
    assert.ok(codes.includes("bound-bytes"));
    assert.ok(result.entries[0]!.scanned.bytes <= 4096 + 64 * 1024);
  });
});

describe("attach with inferred rules", () => {
  it("writes each entry's inferred sets merged into the file's", async () => {
    const { layout } = await place(image, "infer/attach");
    const result = await attach(layout, "v1", {
      all: true,
      sets: [{ description: "authored", "oci.kernel.version": ">=5.4" }],
      setsFor: inferredSetsFor(layout),
    });
    const amd64 = result.entries.find((e) => e.platform === "linux/amd64/v3");
    assert.equal(amd64?.sets?.length, 6);
    assert.equal(amd64?.sets?.[0]?.["oci.kernel.version"], ">=5.4");
    assert.equal(amd64?.sets?.[0]?.["oci.cpu.features"], "X86_64_V3");
    const arm64 = result.entries.find((e) => e.platform === "linux/arm64");
    assert.deepEqual(arm64?.sets, [{ description: "authored", "oci.kernel.version": ">=5.4" }]);
  });

  it("refuses to attach to a broken entry and leaves the tag as it was", async () => {
    const { layout } = await place(broken, "infer/attach-broken");
    const before = await layout.resolve("v1");
    await assert.rejects(
      attach(layout, "v1", { sets: [], setsFor: inferredSetsFor(layout) }),
      (err: unknown) => isBrokenImageError(err),
    );
    assert.equal((await layout.resolve("v1")).digest, before.digest);
  });
});
