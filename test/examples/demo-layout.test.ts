import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { buildDemo, DEMO_LAYOUT } from "../../examples/build-demo.js";
import { tempDir } from "../content/layout-support.js";

function files(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.set(relative(root, path), readFileSync(path));
    }
  };
  walk(root);
  return out;
}

test("the committed demo layout is what examples/build-demo.ts builds (run it after changing the examples)", async () => {
  const dir = tempDir("ocicompat-demo-");
  try {
    const fresh = join(dir.path, "layout");
    await buildDemo(fresh);
    const expected = files(fresh);
    const committed = files(DEMO_LAYOUT);
    assert.deepEqual([...committed.keys()].sort(), [...expected.keys()].sort());
    for (const [name, bytes] of expected)
      assert.ok(bytes.equals(committed.get(name)!), `${name} is stale`);
  } finally {
    dir.remove();
  }
});
