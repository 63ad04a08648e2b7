// `ocicompat discover`: print (and optionally save) this node's profile. Parsing and rendering
// only; the work is in ops/discover.ts.
import { Command, Option } from "commander";
import type { Fact } from "../../compat/label-types.js";
import { saveNodeProfile } from "../../node/profile-file.js";
import { discoverNode, nfdLabelsOfDiscovery, type NodeDiscovery } from "../../ops/discover.js";
import { loadCatalog } from "../../ops/load-catalog.js";
import { ExitCode, type ExitCode as Code } from "../exit-codes.js";
import { color, labelsOption, OutputFormats, renderData } from "../output.js";
import { renderTable } from "../table.js";
import { type CommandHelp, DISCOVERY_ENV, EXIT_ERROR, LABEL_PACK_ENV, withHelp } from "../help.js";

const DiscoverFormats = [...OutputFormats, "nfd"] as const;
type DiscoverFormat = (typeof DiscoverFormats)[number];

interface DiscoverOptions {
  root?: string;
  labels: string[];
  output: DiscoverFormat;
  save?: string;
  fromNfd?: string;
  fromNode?: string;
  platform?: string;
  commands?: boolean;
}

const DISCOVER_HELP: CommandHelp = {
  examples: [
    { command: "ocicompat discover", explains: "this host's facts, as a table" },
    {
      command: "ocicompat discover -o json --save node.json",
      explains: "save this host as a node profile for --node",
    },
    {
      command: "ocicompat discover --root /mnt/node-a --platform linux/arm64",
      explains: "a root file system mounted elsewhere",
    },
    {
      command: "ocicompat discover --from-node node.yaml -o json",
      explains: "import a Kubernetes node's labels",
    },
  ],
  exit: { 0: "the node's facts were printed (or saved)", 2: EXIT_ERROR },
  env: [...LABEL_PACK_ENV, ...DISCOVERY_ENV],
};

export function discoverCommand(run: (code: Code) => void): Command {
  return withHelp(new Command("discover"), DISCOVER_HELP)
    .description(
      "discover this node's facts (CPU, kernel, OS, glibc, devices, memory, GPUs, runtimes) as a node profile",
    )
    .addOption(
      new Option(
        "--root <dir>",
        "probe a root file system mounted here instead of / (default: $OCICOMPAT_ROOT, else /)",
      ),
    )
    .addOption(labelsOption())
    .addOption(
      new Option("-o, --output <format>", "output format: table, json (a node profile), yaml, nfd")
        .choices(DiscoverFormats)
        .default("table"),
    )
    .addOption(new Option("--save <file>", "also write the node profile to this file"))
    .addOption(
      new Option("--from-nfd <file>", "build the profile from `nfd export features` output"),
    )
    .addOption(
      new Option("--from-node <file>", "build the profile from a Kubernetes Node (JSON or YAML)"),
    )
    .addOption(
      new Option("--platform <os/arch>", "the platform, for imports whose input does not say it"),
    )
    .addOption(new Option("--commands", "run hooks and label pack discovery commands"))
    .addOption(new Option("--no-commands", "never run hooks or label pack discovery commands"))
    .action(async (opts: DiscoverOptions) => {
      const catalog = await loadCatalog(opts.labels);
      const discovery = await discoverNode({
        catalog,
        ...(opts.root === undefined ? {} : { root: opts.root }),
        ...(opts.fromNfd === undefined ? {} : { fromNfd: opts.fromNfd }),
        ...(opts.fromNode === undefined ? {} : { fromNode: opts.fromNode }),
        ...(opts.platform === undefined ? {} : { platform: opts.platform }),
        ...(opts.commands === undefined ? {} : { runCommands: opts.commands }),
      });
      for (const d of discovery.diagnostics) {
        process.stderr.write(`${color.yellow("warning")}: ${d.probe}: ${d.message}\n`);
      }
      if (discovery.unmapped.length > 0) {
        process.stderr.write(
          `note: ${discovery.unmapped.length} ${discovery.mode === "nfd" ? "NFD features" : "node labels"} map to no ocicompat label:\n`,
        );
        for (const name of discovery.unmapped) process.stderr.write(`  ${name}\n`);
      }
      process.stdout.write(
        await render(
          opts.output,
          discovery,
          catalog.list().map((d) => d.name),
        ),
      );
      if (opts.save !== undefined) {
        await saveNodeProfile(opts.save, discovery.profile);
        process.stderr.write(`saved node profile to ${opts.save}\n`);
      }
      run(ExitCode.Ok);
    });
}

async function render(
  format: DiscoverFormat,
  discovery: NodeDiscovery,
  known: string[],
): Promise<string> {
  switch (format) {
    case "json":
      // The node profile in its fixed format, usable as `ocicompat check --node`.
      return `${JSON.stringify(discovery.profile, null, 2)}\n`;
    case "yaml":
      return await renderData("yaml", discovery.profile);
    case "nfd":
      return renderNfd(discovery);
    case "table":
      return renderHuman(discovery, known);
  }
}

function renderNfd(discovery: NodeDiscovery): string {
  const { labels, refused } = nfdLabelsOfDiscovery(discovery);
  for (const r of refused) {
    process.stderr.write(
      `ocicompat: ${color.yellow("warning")}: not written as an NFD label, ${r.reason}: ${r.name}=${r.value}\n`,
    );
  }
  return labels.map((l) => `${l.name}=${l.value}\n`).join("");
}

const MAX_VALUE_WIDTH = 60;

function showFact(fact: Fact): string {
  if (!Array.isArray(fact)) return String(fact);
  const items = fact as readonly string[];
  const all = items.join(", ");
  if (all.length <= MAX_VALUE_WIDTH) return items.length === 0 ? "(none)" : all;
  const suffix = ` ... (${items.length} items)`;
  return `${all.slice(0, MAX_VALUE_WIDTH - suffix.length).replace(/,? [^,]*$/, "")}${suffix}`;
}

function renderHuman(discovery: NodeDiscovery, known: readonly string[]): string {
  const p = discovery.profile;
  const platform = [p.platform.os, p.platform.architecture, p.platform.variant]
    .filter(Boolean)
    .join("/");
  const from =
    discovery.mode === "probe"
      ? `root ${discovery.input}`
      : `${discovery.mode === "nfd" ? "NFD features" : "Kubernetes node"} ${discovery.input}`;
  const rows = Object.entries(p.labels).map(([label, fact]) => [
    label,
    showFact(fact),
    discovery.sources[label] ?? "",
  ]);
  for (const label of known) {
    if (!(label in p.labels)) rows.push([label, color.dim("unknown"), ""]);
  }
  const table = renderTable(["LABEL", "VALUE", "SOURCE"], rows);
  return [`node ${p.name}  ${platform}  (${from})`, "", ...table, ""].join("\n");
}
