// npm run bench: every benchmark in bench/, one table.
import { printTable, type Measurement } from "./harness.js";
import { run as evaluate } from "./evaluate.bench.js";
import { run as validateIndex } from "./validate-index.bench.js";

const suites: [string, () => Measurement[]][] = [
  ["validate-index", validateIndex],
  ["evaluate", evaluate],
];
const only = process.argv.slice(2);
const rows: Measurement[] = [];
for (const [name, suite] of suites) {
  if (only.length > 0 && !only.includes(name)) continue;
  rows.push(...suite());
}
console.log(`ocifit bench, node ${process.version}, ${new Date().toISOString()}`);
printTable(rows);
