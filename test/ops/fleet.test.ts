// runFleet against the real CNCF distribution registry, with nodes from `kubectl get nodes -o
// json`, NFD NodeFeature objects and profiles, and workloads from a kubectl workload dump
// (shapes: test/ops/fleet-support.ts). Every verdict is checked against selectImage, which is
// what `select --node` runs.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createCatalog } from "../../src/compat/catalog.js";
import { openCache } from "../../src/content/cache.js";
import { createStoreOpener } from "../../src/content/open.js";
import { runFleet, type FleetRun } from "../../src/ops/fleet.js";
import { readFleetNodes } from "../../src/ops/fleet/nodes.js";
import { choicesByNode, type FleetReport } from "../../src/ops/fleet/report.js";
import { selectImage } from "../../src/ops/select.js";
import { saveNodeProfile } from "../../src/node/profile-file.js";
import { tempDir } from "../content/layout-support.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import {
  pushFleetImages,
  writeFleetFiles,
  type FleetFiles,
  type FleetImages,
} from "./fleet-support.js";

const catalog = createCatalog();
const work = tempDir("ocicompat-fleet-ops-");
let registry: TestRegistry;
let images: FleetImages;
let files: FleetFiles;

async function fleet(
  nodes: string[],
  sources: string[],
  whatIf?: string[],
  onRequest?: (method: string, url: string) => void,
): Promise<FleetRun> {
  const opener = createStoreOpener({
    cache: openCache({ dir: join(work.path, "cache") }),
    ...(onRequest ? { onRequest } : {}),
  });
  try {
    return await runFleet({
      nodes,
      images: sources,
      opener,
      catalog,
      ...(whatIf ? { whatIf } : {}),
    });
  } finally {
    await opener.close();
  }
}

function workload(report: FleetReport, name: string) {
  const w = report.workloads.find((x) => x.name === name);
  assert.ok(w, `workload ${name} in the report`);
  return w;
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

describe("fleet", () => {
  test("nodes from kubectl get nodes are grouped by facts, and a node that cannot be read is reported, not dropped", async () => {
    const run = await fleet([files.currentNodes], [images.refs.demo]);
    const { report } = run;
    assert.deepEqual(
      report.nodes.map((n) => [n.name, n.group]),
      [
        ["old-1", "g1"],
        ["old-2", "g1"],
        ["arm-1", "g2"],
      ],
    );
    assert.deepEqual(report.groups[0]?.members, ["old-1", "old-2"]);
    assert.equal(report.nodeProblems.length, 1);
    assert.match(report.nodeProblems[0]?.source ?? "", /items\[3\] \(Node joining-1\)/);
    assert.match(report.nodeProblems[0]?.problem ?? "", /architecture/);
  });

  test("a workload dump counts every container and init container, and a controller's pods once", async () => {
    const run = await fleet([files.currentNodes], [files.dump]);
    const names = run.report.workloads.map((w) => w.name);
    assert.deepEqual(names, [
      "shop/Deployment/web",
      "shop/StatefulSet/db",
      "ops/CronJob/report",
      "iot/Pod/edge",
    ]);
    const db = workload(run.report, "shop/StatefulSet/db");
    assert.deepEqual(
      db.containers.map((c) => [c.image, c.init]),
      [
        [images.refs.demo, true],
        [images.refs.avx2app, false],
      ],
    );
    // The old kernel (4.18) and the arm64 node run no avx2app entry, so db fits nowhere.
    assert.deepEqual(db.cells, ["none", "none"]);
    assert.deepEqual(workload(run.report, "shop/Deployment/web").cells, ["fits", "fits"]);
    assert.deepEqual(workload(run.report, "iot/Pod/edge").cells, ["none", "fits"]);
    assert.deepEqual(run.report.summary.nowhere, ["shop/StatefulSet/db", "ops/CronJob/report"]);
    assert.deepEqual(run.report.summary.oneGroup, ["iot/Pod/edge"]);
    assert.deepEqual(run.report.summary.everywhere, ["shop/Deployment/web"]);
    assert.equal(run.placed, false);
    const avx2 = run.report.images.find((i) => i.reference === images.refs.avx2app);
    const cell = avx2?.cells[0];
    assert.equal(cell?.state, "none");
    if (cell?.state === "none") {
      assert.deepEqual(cell.failures[0]?.labels, [
        {
          label: "oci.cpu.features",
          required: "AVX2, BMI2, FMA",
          status: "fail",
          observed: ["AVX"],
        },
      ]);
    }
  });

  test("each distinct image is fetched once, however many workloads use it", async () => {
    const requests: string[] = [];
    await fleet([files.currentNodes], [files.dump, images.refs.demo], undefined, (m, url) =>
      requests.push(`${m} ${new URL(url).pathname}`),
    );
    const resolves = requests.filter((r) => r.includes("/manifests/1"));
    assert.deepEqual(resolves.sort(), [
      "HEAD /v2/fleet/armonly/manifests/1",
      "HEAD /v2/fleet/avx2app/manifests/1",
      "HEAD /v2/fleet/demo/manifests/1",
    ]);
    const gets = requests.filter((r) => r.startsWith("GET"));
    assert.equal(new Set(gets).size, gets.length, `no GET twice: ${gets.join("\n")}`);
  });

  test("--what-if: NodeFeature objects merged with their Nodes, what is lost, what switches and what gets better", async () => {
    const run = await fleet(
      [files.currentNodes],
      [files.dump],
      [files.targetNodes, files.targetFeatures, files.profilesDir],
    );
    const target = run.target as FleetReport;
    // new-1 and new-2 from Node + NodeFeature: the kubelet's kernel, NFD's full CPU flag list.
    const merged = target.nodes.filter((n) => n.origin === "merged").map((n) => n.name);
    assert.deepEqual(merged, ["new-1", "new-2"]);
    assert.equal(target.groups[0]?.platform, "linux/amd64/v3");
    assert.ok(target.nodeProblems.some((p) => p.source.endsWith("broken.json")));
    const c = run.comparison;
    assert.ok(c);
    assert.deepEqual(c.lost, ["iot/Pod/edge"]);
    assert.deepEqual(c.gained, ["shop/StatefulSet/db", "ops/CronJob/report"]);
    // demo: generic amd64 and arm64 now; generic and v3 (on the profiles with glibc) then.
    const demoSwitch = c.switched.find((s) => s.workload === "shop/Deployment/web");
    assert.deepEqual(
      demoSwitch?.target,
      [images.demo.generic.manifest.desc.digest, images.demo.v3.manifest.desc.digest].sort(),
    );
    const better = c.better.find((b) => b.workload === "shop/Deployment/web");
    assert.equal(better?.target.digest, images.demo.v3.manifest.desc.digest);
    assert.deepEqual(c.unplacedInTarget, ["iot/Pod/edge"]);
    assert.equal(run.placed, false);
    const withArm = await fleet(
      [files.currentNodes],
      [files.dump],
      [files.targetNodesWithArm, files.targetFeatures, files.profilesDir],
    );
    assert.equal(withArm.placed, true);
  });

  test("every verdict agrees with selectImage on a saved profile of that node (select --node)", async () => {
    const run = await fleet(
      [files.currentNodes],
      [files.dump],
      [files.targetNodes, files.targetFeatures, files.profilesDir],
    );
    const opener = createStoreOpener({ cache: openCache({ dir: join(work.path, "cache") }) });
    const sources = [
      [files.currentNodes],
      [files.targetNodes, files.targetFeatures, files.profilesDir],
    ];
    let checked = 0;
    try {
      for (const [i, report] of [run.report, run.target as FleetReport].entries()) {
        const choices = choicesByNode(report);
        // The nodes as fleet read them, each saved as the profile `select --node` reads.
        const { nodes } = await readFleetNodes(sources[i] ?? [], catalog);
        for (const node of nodes) {
          const file = join(work.path, `profile-${node.name}.json`);
          await saveNodeProfile(file, node.profile);
          for (const [reference, digest] of Object.entries(choices[node.name] ?? {})) {
            const selection = await selectImage({ reference, opener, catalog, nodeFile: file });
            assert.equal(selection.chosen?.digest ?? null, digest, `${node.name} ${reference}`);
            checked++;
          }
        }
      }
    } finally {
      await opener.close();
    }
    assert.equal(checked, 3 * 3 + 4 * 3);
  });
});
