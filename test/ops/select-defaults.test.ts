// selectImage with only a reference and a node: the default opener (on-disk cache, environment
// credentials) and the built-in catalog give the answer explicit ones give, on the bundled demo.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createCatalog } from "../../src/compat/catalog.js";
import { createStoreOpener } from "../../src/content/open.js";
import { selectImage } from "../../src/ops/select.js";
import { tempDir } from "../content/layout-support.js";

const DEMO = "oci:examples/demo-layout:demo";
const work = tempDir("ocicompat-select-defaults-");
const cacheDir = join(work.path, "cache");
let saved: string | undefined;

function filesUnder(dir: string): number {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile())
      .length;
  } catch {
    return 0;
  }
}

describe("selectImage defaults", () => {
  before(() => {
    saved = process.env["OCICOMPAT_CACHE_DIR"];
    process.env["OCICOMPAT_CACHE_DIR"] = cacheDir;
  });
  after(() => {
    if (saved === undefined) delete process.env["OCICOMPAT_CACHE_DIR"];
    else process.env["OCICOMPAT_CACHE_DIR"] = saved;
    work.remove();
  });

  for (const node of ["intel-spr", "amd-genoa", "old-xeon"]) {
    test(`without opener and catalog, ${node} gets the entry explicit ones choose`, async () => {
      const nodeFile = `examples/nodes/${node}.json`;
      const plain = await selectImage({ reference: DEMO, nodeFile });
      const opener = createStoreOpener();
      try {
        const explicit = await selectImage({
          reference: DEMO,
          nodeFile,
          opener,
          catalog: createCatalog(),
        });
        assert.equal(plain.verdict, explicit.verdict);
        assert.equal(plain.chosen?.digest, explicit.chosen?.digest);
        assert.deepEqual(
          plain.entries.map((e) => e.status),
          explicit.entries.map((e) => e.status),
        );
      } finally {
        await opener.close();
      }
    });
  }

  test("the default opener keeps what it read in the on-disk cache ($OCICOMPAT_CACHE_DIR)", async () => {
    const result = await selectImage({
      reference: DEMO,
      nodeFile: "examples/nodes/intel-spr.json",
    });
    assert.equal(result.verdict, "compatible");
    assert.ok(filesUnder(cacheDir) > 0, `nothing cached under ${cacheDir}`);
  });
});
