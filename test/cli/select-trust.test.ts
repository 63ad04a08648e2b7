// Issue #12 for a spawned `ocicompat select`: the compat budgets and the flags that raise them, a
// 1 MB digest in an OCI layout's index, and --timeout against an in-test server that answers
// late; the budgets against the real CNCF registry behind the counting proxy.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { describe, test } from "node:test";
import { openLayout } from "../../src/content/layout.js";
import { MediaType } from "../../src/oci/media-types.js";
import { blob } from "../content/layout-support.js";
import { runCliAsync, variantImage } from "../ops/select-support.js";
import { hasStackTrace } from "./run-cli.js";
import { demo, freshCache, INTEL, ref, useDemoRegistry, work } from "./select-cli-support.js";

useDemoRegistry();

describe("trust (issue #12): budgets, malformed descriptors, --timeout", () => {
  test("an image over a budget: exit 2, one line naming the entry, the budget and its flag; the flag raises it", async () => {
    const tight = await runCliAsync(
      ["select", ref(), "--node", INTEL, "--max-compat-bytes", "100"],
      freshCache(),
    );
    assert.equal(tight.status, 2, tight.stderr);
    assert.equal(tight.stdout, "");
    assert.match(
      tight.stderr,
      /\$\.manifests\[\d\]\.platform\.compat(ibilities)? \(compatibilities (blob|manifest) sha256:[0-9a-f]{64}\)/,
    );
    assert.match(tight.stderr, /the budget is 100 \(--max-compat-bytes raises it\)/);
    assert.ok(!hasStackTrace(tight.stderr), tight.stderr);
    const raised = await runCliAsync(
      ["select", ref(), "--node", INTEL, "--max-compat-bytes", "1MiB", "--max-sets", "10"],
      freshCache(),
    );
    assert.equal(raised.stdout, `${demo.avx512.manifest.desc.digest}\n`, raised.stderr);
    const bad = await runCliAsync(["select", ref(), "--node", INTEL, "--max-sets", "lots"]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--max-sets "lots" is not a positive whole number/);
  });

  test("a 1 MB digest string in an index entry: exit 2 with the JSON path, a short line, nothing on stdout", async () => {
    const image = variantImage("cli huge digest", { os: "linux", architecture: "amd64" });
    const dir = `${work.path}/huge-digest`;
    const layout = await openLayout(dir, { create: true });
    const index = blob(
      MediaType.ImageIndex,
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ImageIndex,
        manifests: [
          {
            ...image.manifest.desc,
            digest: `sha256:${"a".repeat(1_000_000)}`,
            platform: { os: "linux", architecture: "amd64" },
          },
        ],
      }),
    );
    for (const b of [...image.blobs, index]) await layout.push(b.desc, b.bytes);
    await layout.tag(index.desc, "v1");
    const r = await runCliAsync(["select", `oci:${dir}:v1`, "--node", INTEL]);
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /\$\.manifests\[0\]\.digest: sha256 digest must be 64 lowercase hex/);
    assert.ok(r.stderr.length < 1000, `stderr is ${r.stderr.length} bytes`);
  });

  test("--timeout ends select and check with exit 2 before the server answers (an in-test server that answers only after 4 s)", async () => {
    const server: Server = createServer((_req, res) => {
      // Answers late, with a 404: a run that waited for it would end with NOT_FOUND instead.
      setTimeout(() => res.writeHead(404).end(), 4000).unref();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    try {
      for (const verb of ["select", "check"]) {
        const r = await runCliAsync([
          verb,
          `127.0.0.1:${port}/hang/app:v1`,
          "--node",
          INTEL,
          "--timeout",
          "1s",
        ]);
        assert.equal(r.status, 2, `${verb}: ${r.stderr}`);
        assert.match(r.stderr, /gave up after 1s \(--timeout\)/, verb);
        assert.equal(r.stdout, "");
      }
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
