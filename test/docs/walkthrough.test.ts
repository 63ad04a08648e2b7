// docs/walkthrough.md cannot go stale: scripts/gen-walkthrough.ts runs every step against the real
// registry (Debian's docker-registry) with skopeo and the built CLI (run `npm run build` first),
// and what it writes must be the committed page byte for byte.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { tempDir } from "../content/layout-support.js";

test("the committed walkthrough is what scripts/gen-walkthrough.ts produces from real runs (npx tsx scripts/gen-walkthrough.ts regenerates it)", () => {
  const dir = tempDir("ocicompat-walkthrough-test-");
  try {
    const out = join(dir.path, "walkthrough.md");
    const run = spawnSync(
      process.execPath,
      ["--import", "tsx", "scripts/gen-walkthrough.ts", "--out", out],
      { encoding: "utf8" },
    );
    assert.equal(run.status, 0, run.stderr);
    const committed = readFileSync("docs/walkthrough.md", "utf8").split("\n");
    const fresh = readFileSync(out, "utf8").split("\n");
    // Line by line, so a failure names the first stale line.
    for (let i = 0; i < Math.max(committed.length, fresh.length); i++)
      assert.equal(committed[i], fresh[i], `docs/walkthrough.md line ${i + 1} is stale`);
  } finally {
    dir.remove();
  }
});
