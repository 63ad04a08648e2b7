// bin/ocicompat.js stops select and check at V8's baseline compiler (docs/design.md, "Start-up"):
// their work is bounded by the budgets, and the optimizing compiler's background work cost a
// 2,000-entry select more than it saved. Seen through V8's own --trace-opt, which names every
// function it marks for TurboFan: select and check of a 1,000-entry index mark nothing, the same
// select with the CLI's --max-opt filtered out (a preload) marks some, and validate of the index
// keeps TurboFan.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { openLayout } from "../../src/content/layout.js";
import { bigImage } from "../ops/copy-support.js";
import { pushGraph } from "../ops/select-support.js";
import { isolatedEnv } from "./run-cli.js";

const ENTRIES = 1000;

/**
 * `node --trace-opt [-r PRELOAD] bin/ocicompat.js ARGS`: the lines where V8 marks a function for
 * TurboFan.
 */
function markedForTurbofan(args: string[], cacheDir: string, preload?: string): string[] {
  const node = ["--trace-opt", ...(preload === undefined ? [] : ["-r", preload])];
  const run = spawnSync(process.execPath, [...node, "bin/ocicompat.js", ...args], {
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", ...isolatedEnv({ OCICOMPAT_CODE_CACHE_DIR: cacheDir }) },
    timeout: 60_000,
  });
  assert.ok(run.status === 0 || run.status === 1, `${args[0]} exited ${run.status}: ${run.stderr}`);
  return run.stdout.split("\n").filter((l) => /^\[marking .* for optimization to TURBOFAN/.test(l));
}

describe("V8's optimizing compiler per command", () => {
  const work = mkdtempSync(join(tmpdir(), "ocicompat-engine-tiers-"));
  const layout = join(work, "layout");
  const indexFile = join(work, "index.json");
  after(() => rmSync(work, { recursive: true, force: true }));

  before(async () => {
    // Not durable: thousands of fsynced writes would be most of the file's time, for nothing here.
    const store = await openLayout(layout, { create: true, durable: false });
    const wide = bigImage(ENTRIES, 1, 16);
    await pushGraph(store, wide.blobs, wide.index.desc, "wide");
    writeFileSync(indexFile, wide.index.bytes);
  });

  test("validate of a 1,000-entry index keeps TurboFan: its parser's functions get marked", () => {
    const marked = markedForTurbofan(["validate", indexFile], join(work, "cc-validate"));
    assert.ok(marked.length > 0, "the workload is hot enough for TurboFan");
  });

  const selection = (command: string) => [
    command,
    `oci:${layout}:wide`,
    "--node",
    "examples/nodes/intel-spr.json",
  ];

  test("select and check of the index mark nothing for TurboFan", () => {
    for (const command of ["select", "check"]) {
      const marked = markedForTurbofan(selection(command), join(work, `cc-${command}`));
      assert.deepEqual(marked, [], `${command} marked ${marked.length} functions`);
    }
  });

  test("the same select with the CLI's --max-opt filtered out marks functions for TurboFan", () => {
    const preload = join(work, "keep-turbofan.cjs");
    writeFileSync(
      preload,
      [
        "const v8 = require('node:v8');",
        "const set = v8.setFlagsFromString;",
        "v8.setFlagsFromString = (flags) => (flags.startsWith('--max-opt') ? undefined : set(flags));",
      ].join("\n"),
    );
    const marked = markedForTurbofan(selection("select"), join(work, "cc-unfiltered"), preload);
    assert.ok(marked.length > 0, "select's own work is hot enough for TurboFan");
  });

  test("the built-ins a command loads come before the engine flags, which would make Node refuse their compiled code", () => {
    // The preload notes what Node loads after the entry's first engine flag.
    const preload = join(work, "after-flags.cjs");
    const list = join(work, "after-flags.txt");
    writeFileSync(
      preload,
      [
        "const v8 = require('node:v8');",
        "const set = v8.setFlagsFromString;",
        "let at;",
        "v8.setFlagsFromString = (flags) => { at ??= process.moduleLoadList.length; return set(flags); };",
        `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(list)}, JSON.stringify({ at, all: process.moduleLoadList })));`,
      ].join("\n"),
    );
    const run = spawnSync(
      process.execPath,
      ["-r", preload, "bin/ocicompat.js", ...selection("select")],
      { encoding: "utf8", env: { ...process.env, ...isolatedEnv() }, timeout: 60_000 },
    );
    assert.equal(run.status, 0, run.stderr);
    const { at, all } = JSON.parse(readFileSync(list, "utf8")) as { at?: number; all: string[] };
    assert.ok(at !== undefined, "the entry set engine flags");
    const early = ["crypto", "fs/promises", "net", "stream", "internal/streams/readable"];
    for (const name of early) {
      const index = all.indexOf(`NativeModule ${name}`);
      assert.ok(
        index >= 0 && index < at,
        `${name} loaded before the flags (at ${index}, flags at ${at})`,
      );
    }
  });
});
