// copy's progress line (src/cli/progress.ts): what it says, and when it is shown at all.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, test } from "node:test";
import { tempDir } from "../content/layout-support.js";
import { runCli } from "./run-cli.js";
import { formatEta, formatProgress, showsProgress } from "../../src/cli/progress.js";

const MiB = 1024 * 1024;

describe("formatProgress", () => {
  test("shows bytes done, the total, the speed and the time left", () => {
    const line = formatProgress({
      total: 100 * MiB,
      done: 25 * MiB,
      sent: 20 * MiB,
      items: 3,
      elapsedMs: 4000,
    });
    // 20 MiB sent in 4 s is 5 MiB/s; 75 MiB left at that rate is 15 s.
    assert.equal(
      line,
      "copying [######------------------]  25% | 25.0 MiB / 100.0 MiB | 5.0 MiB/s | ETA 15s | 3 blobs",
    );
  });

  test("counts bytes skipped as done but not as speed", () => {
    const line = formatProgress({
      total: 10 * MiB,
      done: 9 * MiB,
      sent: MiB,
      items: 2,
      elapsedMs: 1000,
    });
    assert.match(line, /\| 9\.0 MiB \/ 10\.0 MiB \| 1\.0 MiB\/s \| ETA 1s \|/);
  });

  test("says -- for speed and time left before there is a rate to go by", () => {
    const start = formatProgress({ total: 0, done: 0, sent: 0, items: 0, elapsedMs: 0 });
    assert.equal(
      start,
      "copying [------------------------]   0% | 0 B / 0 B | -- B/s | ETA 0s | 0 blobs",
    );
    const early = formatProgress({ total: MiB, done: 1024, sent: 1024, items: 0, elapsedMs: 100 });
    assert.match(early, /\| -- B\/s \| ETA -- \|/);
  });

  test("never passes 100% or a full bar when the total lags behind what is done", () => {
    const line = formatProgress({ total: 10, done: 20, sent: 20, items: 1, elapsedMs: 1000 });
    assert.match(line, /^copying \[#{24}\] 100% \| 20 B \/ 10 B \| .* \| ETA 0s \| 1 blob$/);
  });
});

describe("formatEta", () => {
  test("seconds, minutes with seconds, hours with minutes", () => {
    assert.equal(formatEta(0.2), "1s");
    assert.equal(formatEta(59), "59s");
    assert.equal(formatEta(187), "3m07s");
    assert.equal(formatEta(3720), "1h02m");
    assert.equal(formatEta(500 * 3600), ">99h");
  });
});

describe("showsProgress", () => {
  const tty = { isTTY: true, progressFlag: true, output: "table", env: {} };

  test("shows the bar on a terminal with the table output", () => {
    assert.equal(showsProgress(tty), true);
    assert.equal(showsProgress({ ...tty, progressFlag: undefined }), true);
  });

  test("stays quiet when stderr is not a terminal", () => {
    assert.equal(showsProgress({ ...tty, isTTY: false }), false);
    assert.equal(showsProgress({ ...tty, isTTY: undefined }), false);
  });

  test("stays quiet with --no-progress, -o json or yaml, and TERM=dumb", () => {
    assert.equal(showsProgress({ ...tty, progressFlag: false }), false);
    assert.equal(showsProgress({ ...tty, output: "json" }), false);
    assert.equal(showsProgress({ ...tty, output: "yaml" }), false);
    assert.equal(showsProgress({ ...tty, env: { TERM: "dumb" } }), false);
  });
});

describe("copy's progress bar, spawned", () => {
  const SOURCE = "oci:examples/demo-layout:demo";
  const LINE =
    /copying \[[#-]{24}\] +\d+% \| [\d.]+ (?:B|KiB|MiB) \/ [\d.]+ (?:B|KiB|MiB) \| (?:--|[\d.]+) (?:B|KiB|MiB)\/s \| ETA \S+ \| \d+ blobs?/;

  test("draws the line on a terminal (a pseudo-terminal from script(1))", () => {
    const work = tempDir("ocicompat-progress-");
    try {
      const command = `${process.execPath} bin/ocicompat.js copy ${SOURCE} oci:${join(work.path, "dst")}`;
      const r = spawnSync("script", ["-qec", command, "/dev/null"], {
        encoding: "utf8",
        env: { ...process.env, NO_COLOR: "1", TERM: "xterm" },
        timeout: 60_000,
      });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, LINE);
      assert.match(r.stdout, /copied oci:examples\/demo-layout:demo ->/);
    } finally {
      work.remove();
    }
  });

  test("a retry clears the bar for its warning, then draws it again from zero", () => {
    const work = tempDir("ocicompat-progress-");
    try {
      // Port 1 on loopback refuses every connection: each attempt fails, as a registry that is down.
      const command = `${process.execPath} bin/ocicompat.js copy --retry-times 1 --retry-delay 10ms ${SOURCE} 127.0.0.1:1/app/x:v1`;
      const r = spawnSync("script", ["-qec", command, "/dev/null"], {
        encoding: "utf8",
        env: { ...process.env, NO_COLOR: "1", TERM: "xterm" },
        timeout: 60_000,
      });
      assert.equal(r.status, 2, r.stdout);
      const warning = r.stdout.indexOf("ocicompat: warning:");
      assert.ok(warning > 0, r.stdout);
      // The line is cleared (ESC [2K) right before the warning, and the bar comes back after it.
      assert.equal(r.stdout.slice(warning - 4, warning), "\u001b[2K");
      assert.match(r.stdout.slice(warning), /\(retry 1 of 1\)\r?\n[^]*copying \[/);
    } finally {
      work.remove();
    }
  });

  test("-q draws nothing on a terminal either, and prints no summary", () => {
    const work = tempDir("ocicompat-progress-");
    try {
      const command = `${process.execPath} bin/ocicompat.js copy -q ${SOURCE} oci:${join(work.path, "dst")}`;
      const r = spawnSync("script", ["-qec", command, "/dev/null"], {
        encoding: "utf8",
        env: { ...process.env, NO_COLOR: "1", TERM: "xterm" },
        timeout: 60_000,
      });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.equal(r.stdout.trim(), "");
    } finally {
      work.remove();
    }
  });

  test("stays quiet when stderr is not a terminal", () => {
    const work = tempDir("ocicompat-progress-");
    try {
      const r = runCli(["copy", SOURCE, `oci:${join(work.path, "dst")}`]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, "");
      assert.doesNotMatch(r.stdout, /copying \[/);
    } finally {
      work.remove();
    }
  });
});
