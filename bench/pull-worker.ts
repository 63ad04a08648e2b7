// Child process for the pull benchmark: copies REF from the local registry into an OCI layout
// and prints its wall time and peak RSS as JSON, so the parent measures a clean process.
import { copyGraph } from "../src/content/copy.js";
import { openLayout } from "../src/content/layout.js";
import { createRegistryStore } from "../src/content/registry/index.js";

const [registry, repository, tag, dir] = process.argv.slice(2) as [string, string, string, string];
const baseline = process.memoryUsage().rss;
let peak = baseline;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 10);
const start = performance.now();
const src = createRegistryStore({ registry, repository });
const root = await src.resolve(tag);
await copyGraph(src, await openLayout(dir, { create: true }), root, { tag });
const ms = performance.now() - start;
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);
await src.close();
console.log(JSON.stringify({ ms, peakRss: peak, baselineRss: baseline }));
