// The HTML report's rendering, pure: names come from clusters and registries, so they are escaped,
// and the page declares that it loads nothing.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createCatalog } from "../../src/compat/catalog.js";
import { renderFleetHtml } from "../../src/ops/fleet/html.js";
import { evaluateFleet } from "../../src/ops/fleet/report.js";

const catalog = createCatalog();

test("names from the cluster are escaped, and the page forbids every load", () => {
  const hostile = `<script>alert("x")</script>`;
  const report = evaluateFleet({
    catalog,
    nodes: [
      {
        name: `node-${hostile}`,
        origin: "profile",
        source: "n.json",
        profile: {
          schemaVersion: 1,
          name: `node-${hostile}`,
          platform: { os: "linux", architecture: "amd64" },
          labels: { "oci.os.id": hostile },
        },
      },
    ],
    workloads: [
      {
        name: `ns/Pod/${hostile}`,
        kind: "Pod",
        containers: [{ name: "c", init: false, image: "r" }],
      },
    ],
    images: [{ reference: "r", state: "unreadable", problem: `no ${hostile}` }],
  });
  const html = renderFleetHtml({ report, generated: "2026-12-06" });
  assert.equal(html.includes("<script"), false);
  assert.ok(html.includes("&#60;script&#62;"));
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
  assert.deepEqual(report.summary.unknown, [`ns/Pod/${hostile}`]);
});
