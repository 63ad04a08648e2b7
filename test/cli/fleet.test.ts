// `ocicompat fleet` as a user runs it: exit codes for CI gates, -o json/csv, the table, and the
// HTML report opened in a real headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core): no console errors, no network request, the heat map's cells, a screenshot.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, test } from "node:test";
import { chromium } from "playwright-core";
import { tempDir } from "../content/layout-support.js";
import {
  pushFleetImages,
  writeFleetFiles,
  type FleetFiles,
  type FleetImages,
} from "../ops/fleet-support.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import { hasStackTrace, runCli } from "./run-cli.js";

const work = tempDir("ocicompat-fleet-cli-");
let registry: TestRegistry;
let images: FleetImages;
let files: FleetFiles;

function fleet(...args: string[]) {
  return runCli(["fleet", ...args], {
    env: { XDG_CACHE_HOME: join(work.path, "cache"), DOCKER_CONFIG: join(work.path, "docker") },
  });
}

before(async () => {
  registry = await startRegistry();
  images = await pushFleetImages(registry.host);
  files = writeFleetFiles(work.path, images.refs);
});

after(async () => {
  await registry.stop();
  work.remove();
});

describe("ocicompat fleet", () => {
  test("exit 1 when a workload has no compatible node, and the table shows groups × workloads", () => {
    const r = fleet("--nodes", files.currentNodes, "--images", files.dump);
    assert.equal(r.status, 1, r.stderr);
    const [header, g1, g2] = r.stdout.split("\n");
    assert.match(
      header ?? "",
      /^GROUP\s+NODES\s+PLATFORM\s+shop\/Deployment\/web\s+shop\/StatefulSet\/db/,
    );
    assert.match(g1 ?? "", /^g1 old-1 \+1\s+2\s+linux\/amd64\s+linux\/amd64 [0-9a-f]{7}\s+✗/);
    assert.match(g2 ?? "", /^g2 arm-1\s+1\s+linux\/arm64\s+linux\/arm64 [0-9a-f]{7}\s+✗/);
    assert.match(r.stdout, /no compatible node: shop\/StatefulSet\/db/);
    assert.match(r.stderr, /node source .*items\[3\] \(Node joining-1\).*skipped/);
    assert.equal(hasStackTrace(r.stderr), false);
  });

  test("exit 0 when every workload has a node, and -o json lists every node with a digest or null per image", () => {
    const r = fleet(
      "--nodes",
      files.currentNodes,
      "--images",
      images.refs.demo,
      images.refs.armonly,
      "-o",
      "json",
    );
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as {
      verdict: string;
      nodes: { name: string; group: string; images: Record<string, string | null> }[];
    };
    assert.equal(doc.verdict, "placed");
    assert.deepEqual(doc.nodes, [
      {
        name: "old-1",
        group: "g1",
        origin: "kubernetes-node",
        source: `${files.currentNodes}: items[0] (Node old-1)`,
        images: {
          [images.refs.demo]: images.demo.generic.manifest.desc.digest,
          [images.refs.armonly]: null,
        },
      },
      {
        name: "old-2",
        group: "g1",
        origin: "kubernetes-node",
        source: `${files.currentNodes}: items[1] (Node old-2)`,
        images: {
          [images.refs.demo]: images.demo.generic.manifest.desc.digest,
          [images.refs.armonly]: null,
        },
      },
      {
        name: "arm-1",
        group: "g2",
        origin: "kubernetes-node",
        source: `${files.currentNodes}: items[2] (Node arm-1)`,
        images: {
          [images.refs.demo]: images.demo.arm64.manifest.desc.digest,
          [images.refs.armonly]: doc.nodes[2]?.images[images.refs.armonly] ?? "missing",
        },
      },
    ]);
    assert.match(doc.nodes[2]?.images[images.refs.armonly] ?? "", /^sha256:[0-9a-f]{64}$/);
  });

  test("the HTML report renders in headless Chromium with no console error and no request, with the right heat map cells", async (t) => {
    const html = join(work.path, "report.html");
    const r = fleet(
      "--nodes",
      files.currentNodes,
      "--images",
      files.dump,
      "--what-if",
      files.targetNodes,
      files.targetFeatures,
      files.profilesDir,
      "--html",
      html,
    );
    assert.equal(r.status, 1, r.stderr);
    // A fresh profile directory per run (playwright passes it as --user-data-dir).
    const browser = await chromium.launchPersistentContext(join(work.path, "chromium-profile"), {
      executablePath: "/usr/bin/chromium",
      viewport: { width: 1400, height: 900 },
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      const requests: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error" || m.type() === "warning") problems.push(m.text());
      });
      page.on("pageerror", (e) => problems.push(e.message));
      page.on("request", (req) => requests.push(req.url()));
      const url = pathToFileURL(html).href;
      await page.goto(url, { waitUntil: "load" });
      assert.deepEqual(problems, []);
      assert.deepEqual(requests, [url], "the report loads nothing but itself");

      const cells = await page.$$eval("#heatmap td.cell", (tds) =>
        tds.map((td) => [
          td.getAttribute("data-workload"),
          td.getAttribute("data-group"),
          td.getAttribute("data-state"),
          (td.textContent ?? "").replace(/\s+/g, " ").trim(),
        ]),
      );
      assert.equal(cells.length, 4 * 2);
      const cell = (w: string, g: string) => cells.find((c) => c[0] === w && c[1] === g);
      assert.equal(cell("shop/Deployment/web", "g1")?.[2], "fits");
      assert.match(cell("shop/Deployment/web", "g1")?.[3] ?? "", /^linux\/amd64 [0-9a-f]{12}$/);
      assert.equal(cell("shop/StatefulSet/db", "g1")?.[2], "none");
      assert.match(
        cell("shop/StatefulSet/db", "g1")?.[3] ?? "",
        /^init-0 linux\/amd64 [0-9a-f]{12}c0 ✗\s*oci\.cpu\.features AVX2, BMI2, FMA — node: AVX$/,
      );
      assert.equal(cell("iot/Pod/edge", "g2")?.[2], "fits");
      assert.equal(await page.textContent('[data-summary="nowhere"] .count'), "2");
      assert.equal(await page.textContent('[data-summary="lost"] .count'), "1");

      // A workload's page replaces the overview (CSS :target, no script).
      await page.click('#heatmap a[href="#w-1"]');
      assert.equal(await page.isVisible("#w-1"), true);
      assert.equal(await page.isVisible("#overview"), false);
      await page.goto(url, { waitUntil: "load" });

      // Kept after the run (outside the test's temp dir) for people to look at.
      const shot = join(tmpdir(), "ocicompat-fleet-report.png");
      await page.screenshot({ path: shot, fullPage: true });
      const png = readFileSync(shot);
      assert.ok(existsSync(shot) && png.length > 10_000);
      assert.equal(png.subarray(1, 4).toString(), "PNG");
      assert.deepEqual(problems, []);
      t.diagnostic(`screenshot: ${shot}`);
    } finally {
      await browser.close();
    }
  });

  test("--what-if exits by the target fleet, and -o csv has a row per node, workload and container", () => {
    const withArm = fleet(
      "--nodes",
      files.currentNodes,
      "--images",
      files.dump,
      "--what-if",
      files.targetNodesWithArm,
      files.targetFeatures,
      files.profilesDir,
      "-o",
      "csv",
    );
    assert.equal(withArm.status, 0, withArm.stderr);
    const rows = withArm.stdout.trim().split("\n");
    assert.equal(rows[0], "node,group,workload,container,image,state,digest,platform");
    // 5 target nodes × (web 1 + db 2 + report 1 + edge 1) containers.
    assert.equal(rows.length, 1 + 5 * 5);
    assert.ok(
      rows.some(
        (r) =>
          r.startsWith(`new-3,`) &&
          r.includes(
            `,shop/Deployment/web,c0,${images.refs.demo},chosen,${images.demo.v3.manifest.desc.digest},linux/amd64/v3`,
          ),
      ),
    );
    const without = fleet(
      "--nodes",
      files.currentNodes,
      "--images",
      files.dump,
      "--what-if",
      files.targetNodes,
      files.targetFeatures,
      files.profilesDir,
    );
    assert.equal(without.status, 1, without.stderr);
    assert.match(without.stdout, /lose every compatible node: iot\/Pod\/edge/);
    assert.match(without.stdout, /gain a better variant: shop\/Deployment\/web/);
  });

  test("exit 2 when no node source can be read, with no stack trace", () => {
    const r = fleet("--nodes", join(work.path, "missing.json"), "--images", images.refs.demo);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /missing\.json/);
    assert.equal(hasStackTrace(r.stderr), false);
  });
});
