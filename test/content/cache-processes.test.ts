// Several processes sharing one cache directory, with no lock: each child writes the same entries
// in the same order (so that they race on every rename) and reads each one back.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { after, test } from "node:test";
import { openCache } from "../../src/content/cache.js";
import { computeDigest } from "../../src/oci/digest.js";

const root = mkdtempSync(join(tmpdir(), "ocicompat-cache-procs-"));
after(() => rmSync(root, { recursive: true, force: true }));

const texts = Array.from({ length: 150 }, (_, i) => `{"entry":${i},"pad":"${"p".repeat(i * 37)}"}`);

// The children wait for each other at a barrier (a file per child) so that they really overlap.
const CHILD = `
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
const [moduleUrl, dir, barrier, id, peers, textsFile] = process.argv.slice(2);
const texts = JSON.parse(readFileSync(textsFile, "utf8"));
const { openCache } = await import(moduleUrl);
const cache = openCache({ dir });
writeFileSync(join(barrier, "ready-" + id), "");
while (!Array.from({ length: Number(peers) }, (_, p) => join(barrier, "ready-" + p)).every(existsSync)) {
  await new Promise((r) => setTimeout(r, 2));
}
let bad = 0;
for (const text of texts) {
  const bytes = new TextEncoder().encode(text);
  const digest = "sha256:" + createHash("sha256").update(bytes).digest("hex");
  await cache.put(digest, bytes);
  const back = await cache.get(digest);
  if (!back || Buffer.compare(Buffer.from(back), Buffer.from(bytes)) !== 0) bad++;
}
process.stdout.write(JSON.stringify({ bad, diagnostics: cache.diagnostics() }));
`;

function run(
  script: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
      cwd: resolve("."),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", fail);
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

test("two processes writing the same entries at once both succeed, leaving whole entries and no temp files", async () => {
  const script = join(root, "child.mjs");
  writeFileSync(script, CHILD);
  const textsFile = join(root, "texts.json");
  writeFileSync(textsFile, JSON.stringify(texts));
  const dir = join(root, "cache");
  const barrier = mkdtempSync(join(root, "barrier-"));
  const moduleUrl = pathToFileURL(resolve("src/content/cache.ts")).href;
  const peers = 2;
  const results = await Promise.all(
    Array.from({ length: peers }, (_, id) =>
      run(script, [moduleUrl, dir, barrier, String(id), String(peers), textsFile]),
    ),
  );
  for (const r of results) {
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { bad: 0, diagnostics: [] });
  }
  assert.deepEqual(readdirSync(join(dir, "tmp")), []);
  const cache = openCache({ dir });
  for (const text of texts) {
    const bytes = new TextEncoder().encode(text);
    const back = await cache.get(computeDigest(bytes));
    assert.ok(back && Buffer.from(back).equals(Buffer.from(bytes)), text.slice(0, 20));
  }
  assert.equal((await cache.stats()).entries, texts.length);
  assert.deepEqual(cache.diagnostics(), []);
});
