// The analysis over a file view: whiteouts and links decide which files count, glibc-hwcaps
// builds are optional, the entrypoint is found on PATH, and every rule names its evidence.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { analyze, type AnalyzeInput } from "../../../src/compat/infer/analyze.js";
import type { ElfFacts } from "../../../src/compat/infer/elf.js";
import {
  applyLayer,
  emptyChanges,
  emptyView,
  resolvePath,
  type FileView,
  type ScannedFile,
} from "../../../src/compat/infer/file-view.js";
import { mergeInferred } from "../../../src/compat/infer/merge.js";

function facts(architecture: string, extra: Partial<ElfFacts> = {}): ElfFacts {
  const machine = architecture === "amd64" ? 62 : architecture === "386" ? 3 : 183;
  return {
    header: {
      bits: 64,
      littleEndian: true,
      type: "shared",
      machine,
      phoff: 64,
      phentsize: 56,
      phnum: 0,
    },
    architecture,
    unread: 0,
    ...extra,
  };
}

function file(path: string, layer: string, f: ElfFacts): ScannedFile {
  return { path, layer, facts: f };
}

function layer(
  view: FileView,
  files: ScannedFile[],
  extra: Partial<ReturnType<typeof emptyChanges>> = {},
) {
  const changes = { ...emptyChanges(), ...extra };
  for (const f of files) changes.files.set(f.path, f);
  applyLayer(view, changes);
}

function input(view: FileView, over: Partial<AnalyzeInput> = {}): AnalyzeInput {
  return {
    platform: { os: "linux", architecture: "amd64" },
    config: "sha256:config",
    env: ["PATH=/usr/bin:/bin"],
    entrypoint: ["app"],
    cmd: [],
    view,
    ...over,
  };
}

describe("file view", () => {
  it("removes a file whited out by a later layer, and everything below a whited-out directory", () => {
    const view = emptyView();
    layer(view, [file("usr/bin/a", "L1", facts("arm64")), file("opt/x/b", "L1", facts("arm64"))]);
    layer(view, [], { removed: ["usr/bin/a", "opt/x"] });
    assert.deepEqual([...view.files.keys()], []);
  });

  it("clears what lower layers put in an opaque directory but keeps the layer's own files", () => {
    const view = emptyView();
    layer(view, [file("opt/old", "L1", facts("arm64")), file("usr/keep", "L1", facts("amd64"))]);
    layer(view, [file("opt/new", "L2", facts("amd64"))], { opaque: ["opt"] });
    assert.deepEqual([...view.files.keys()].sort(), ["opt/new", "usr/keep"]);
  });

  it("follows links in every component, absolute and relative, and stops on a loop", () => {
    const view = emptyView();
    view.links.set("lib", "usr/lib");
    view.links.set("usr/lib64/ld.so", "/lib/x86_64/ld.so");
    view.links.set("loop", "loop");
    assert.equal(resolvePath(view, "/usr/lib64/ld.so"), "usr/lib/x86_64/ld.so");
    assert.equal(resolvePath(view, "/lib/../etc/x"), "usr/etc/x");
    assert.equal(resolvePath(view, "/loop"), undefined);
  });
});

describe("analyze", () => {
  const libc = (f: Partial<ElfFacts> = {}) =>
    file(
      "usr/lib/x86_64-linux-gnu/libc.so.6",
      "sha256:base",
      facts("amd64", { abiTag: { os: "Linux", version: "3.2.0" }, ...f }),
    );

  it("infers the minimum kernel from the newest ABI tag of libc and the loader, with evidence", () => {
    const view = emptyView();
    layer(view, [
      libc(),
      file(
        "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
        "sha256:base",
        facts("amd64", { abiTag: { os: "Linux", version: "4.4.0" } }),
      ),
    ]);
    const result = analyze(input(view));
    const rule = result.rules.find((r) => r.label === "oci.kernel.version");
    assert.equal(rule?.value, ">=4.4.0");
    assert.deepEqual(rule?.evidence, [
      {
        source: "sha256:base",
        path: "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
        note: "NT_GNU_ABI_TAG Linux 4.4.0",
      },
    ]);
  });

  it("makes an entrypoint needing x86-64-v3 in a plain amd64 entry an error finding", () => {
    const view = emptyView();
    layer(view, [libc(), file("usr/bin/app", "sha256:app", facts("amd64", { x86IsaNeeded: 3 }))]);
    const result = analyze(input(view));
    assert.equal(result.rules.find((r) => r.label === "oci.cpu.features")?.value, "X86_64_V3");
    const finding = result.findings.find((f) => f.code === "isa-above-variant");
    assert.equal(finding?.severity, "error");
    assert.equal(finding?.evidence[0]?.path, "/usr/bin/app");
    const ok = analyze(
      input(view, { platform: { os: "linux", architecture: "amd64", variant: "v3" } }),
    );
    assert.equal(
      ok.findings.some((f) => f.severity === "error"),
      false,
    );
  });

  it("does not count glibc-hwcaps builds, which the loader uses only on CPUs that have the level", () => {
    const view = emptyView();
    layer(view, [
      libc(),
      file(
        "usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libc.so.6",
        "sha256:x",
        facts("amd64", { x86IsaNeeded: 3 }),
      ),
    ]);
    const result = analyze(input(view));
    assert.equal(
      result.rules.some((r) => r.label === "oci.cpu.features"),
      false,
    );
  });

  it("reports foreign binaries as an error, and 386 ones in amd64 as a warning", () => {
    const view = emptyView();
    layer(view, [
      file("usr/bin/tool", "L", facts("arm64")),
      file("usr/lib32/libx.so", "L", facts("386")),
    ]);
    const findings = analyze(input(view)).findings.filter(
      (f) => f.code === "architecture-mismatch",
    );
    assert.deepEqual(findings.map((f) => f.severity).sort(), ["error", "warning"]);
  });

  it("makes one set per distinct GPU alternative, each with the other rules", () => {
    const view = emptyView();
    layer(view, [libc()]);
    const result = analyze(
      input(view, {
        env: [
          "NVIDIA_REQUIRE_CUDA=cuda>=12.0 brand=tesla,driver>=470,driver<471 brand=grid,driver>=470,driver<471",
        ],
      }),
    );
    assert.deepEqual(
      result.sets.map((s) => [s["oci.gpu.nvidia.driver"], s["oci.kernel.version"]]),
      [
        [">=525.60.13", ">=3.2.0"],
        [">=470, <471", ">=3.2.0"],
      ],
    );
  });

  it("names glibc and its release as information, not as a rule", () => {
    const view = emptyView();
    layer(view, [{ ...libc(), glibcRelease: "2.36" }]);
    const result = analyze(input(view));
    assert.deepEqual(result.libc, {
      kind: "glibc",
      release: "2.36",
      path: "/usr/lib/x86_64-linux-gnu/libc.so.6",
    });
    assert.equal(
      result.rules.some((r) => r.label === "oci.os.glibc"),
      false,
    );
  });
});

describe("merging inferred sets into authored ones", () => {
  it("combines every authored set with every inferred alternative, keeping the author's values", () => {
    const merged = mergeInferred(
      [{ description: "v3 build", "oci.kernel.version": ">=5.4" }],
      [
        { description: "a", "oci.kernel.version": ">=3.2.0", "oci.gpu.nvidia.driver": ">=570" },
        {
          description: "b",
          "oci.kernel.version": ">=3.2.0",
          "oci.gpu.nvidia.driver": ">=535, <536",
        },
      ],
    );
    assert.deepEqual(merged.sets, [
      { description: "v3 build", "oci.kernel.version": ">=5.4", "oci.gpu.nvidia.driver": ">=570" },
      {
        description: "v3 build",
        "oci.kernel.version": ">=5.4",
        "oci.gpu.nvidia.driver": ">=535, <536",
      },
    ]);
    assert.deepEqual(merged.kept, [
      { label: "oci.kernel.version", authored: ">=5.4", inferred: ">=3.2.0" },
    ]);
  });
});
