import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { createCatalog } from "../../src/compat/catalog.js";
import type { NodeProfile } from "../../src/compat/node-profile.js";
import { loadNodeProfile, saveNodeProfile } from "../../src/node/profile-file.js";
import { isOcicompatError, ValidationError } from "../../src/oci/errors.js";

const dir = mkdtempSync(join(tmpdir(), "ocicompat-profile-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const catalog = createCatalog();

const profile: NodeProfile = {
  schemaVersion: 1,
  name: "n1",
  platform: { os: "linux", architecture: "arm64", features: [] },
  labels: {
    "oci.cpu.features": ["FP", "ASIMD", "SVE"],
    "oci.memory.total": 34359738368,
    "oci.kernel.selinux": false,
  },
};

test("a saved profile loads back equal, and no temporary file is left behind", async () => {
  const file = join(dir, "n1.json");
  await saveNodeProfile(file, profile);
  assert.deepEqual(await loadNodeProfile(file, catalog), profile);
  assert.deepEqual(readdirSync(dir), ["n1.json"]);
});

test("a profile with duplicate keys is refused with the file named", async () => {
  const file = join(dir, "dup.json");
  writeFileSync(file, '{"schemaVersion":1,"schemaVersion":1}');
  await assert.rejects(
    loadNodeProfile(file, catalog),
    (e: unknown) => isOcicompatError(e) && e.code === "INVALID_JSON" && e.subject === file,
  );
});

test("a profile with a wrong fact type is a ValidationError", async () => {
  const file = join(dir, "bad.json");
  writeFileSync(file, JSON.stringify({ ...profile, labels: { "oci.memory.total": true } }));
  await assert.rejects(
    loadNodeProfile(file, catalog),
    (e: unknown) =>
      e instanceof ValidationError && e.issues[0]?.path === '$.labels["oci.memory.total"]',
  );
});

test("a missing profile is an IO error", async () => {
  await assert.rejects(
    loadNodeProfile(join(dir, "absent.json"), catalog),
    (e: unknown) => isOcicompatError(e) && e.code === "IO",
  );
});
