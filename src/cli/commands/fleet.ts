// `ocicompat fleet --nodes SRC... --images SRC... [--what-if SRC...]`: parsing and rendering only;
// the work is in ops/fleet.ts. Exit 0 when every workload has a compatible node (in the target
// fleet with --what-if), 1 when one has none, 2 on error or when an image could not be read.
import { writeFile } from "node:fs/promises";
import { Command, Option } from "commander";
import { OcicompatError } from "../../oci/errors.js";
import { loadCatalog } from "../../ops/load-catalog.js";
import { runFleet, type FleetRun } from "../../ops/fleet.js";
import { renderFleetHtml } from "../../ops/fleet/html.js";
import { choicesByNode, type FleetCell, type FleetReport } from "../../ops/fleet/report.js";
import { deadlineSignal } from "../deadline.js";
import { exitCodeForVerdicts, type ExitCode } from "../exit-codes.js";
import { color, labelsOption, renderData } from "../output.js";
import {
  addRegistryOptions,
  openerFrom,
  withOpener,
  type RegistryFlags,
} from "../registry-options.js";
import { renderTable } from "../table.js";
import { parseTags } from "./select.js";
import {
  CACHE_ENV,
  type CommandHelp,
  DISCOVERY_ENV,
  EXIT_ERROR,
  LABEL_PACK_ENV,
  REGISTRY_ENV,
  withHelp,
} from "../help.js";

const FORMATS = ["table", "json", "yaml", "csv"] as const;

interface FleetFlags extends RegistryFlags {
  nodes: string[];
  images: string[];
  whatIf?: string[];
  output: (typeof FORMATS)[number];
  html?: string;
  tags?: string;
  labels: string[];
  concurrency?: string;
}

function shortDigest(digest: string): string {
  const colon = digest.indexOf(":");
  return digest.slice(colon + 1, colon + 8);
}

function cellText(cell: FleetCell | undefined): string {
  if (cell?.state === "chosen")
    return `${cell.chosen.platform ?? "entry"} ${shortDigest(cell.chosen.digest)}`;
  return cell?.state === "unreadable" ? "?" : "✗";
}

/** Node groups × workloads: each cell the chosen variant of each image, or ✗. */
export function fleetTable(report: FleetReport): string[] {
  const images = new Map(report.images.map((i) => [i.reference, i]));
  const header = ["GROUP", "NODES", "PLATFORM", ...report.workloads.map((w) => w.name)];
  const rows = report.groups.map((g, gi) => [
    `${g.id} ${g.title}`,
    String(g.members.length),
    g.platform,
    ...report.workloads.map((w) => {
      const texts = [...new Set(w.containers.map((c) => cellText(images.get(c.image)?.cells[gi])))];
      const text = w.cells[gi] === "none" ? "✗" : texts.join(" + ");
      return w.cells[gi] === "fits" ? color.green(text) : color.red(text);
    }),
  ]);
  return renderTable(header, rows);
}

function csvField(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One row per node, workload and container: the chosen digest, or empty. */
export function fleetCsv(report: FleetReport): string {
  const groupIndex = new Map(report.groups.map((g, i) => [g.id, i]));
  const images = new Map(report.images.map((i) => [i.reference, i]));
  const lines = [
    ["node", "group", "workload", "container", "image", "state", "digest", "platform"],
  ];
  for (const node of report.nodes) {
    const gi = groupIndex.get(node.group) ?? -1;
    for (const w of report.workloads) {
      for (const c of w.containers) {
        const cell = images.get(c.image)?.cells[gi];
        const chosen = cell?.state === "chosen" ? cell.chosen : undefined;
        lines.push([
          node.name,
          node.group,
          w.name,
          c.name,
          c.image,
          cell?.state ?? "unreadable",
          chosen?.digest ?? "",
          chosen?.platform ?? "",
        ]);
      }
    }
  }
  return lines.map((l) => l.map(csvField).join(",")).join("\n") + "\n";
}

function jsonReport(report: FleetReport) {
  const choices = choicesByNode(report);
  return {
    summary: report.summary,
    groups: report.groups,
    nodes: report.nodes.map((n) => ({ ...n, images: choices[n.name] ?? {} })),
    images: report.images,
    workloads: report.workloads,
    nodeProblems: report.nodeProblems,
  };
}

function verdictOf(run: FleetRun): ExitCode {
  return exitCodeForVerdicts([run.incomplete ? "error" : run.placed ? "ok" : "failed"]);
}

function warn(report: FleetReport, fleet: string): void {
  for (const p of report.nodeProblems) {
    process.stderr.write(
      `ocicompat: ${color.yellow("warning")}: ${fleet}node source ${p.source}: ${p.problem}; skipped\n`,
    );
  }
}

const FLEET_HELP: CommandHelp = {
  examples: [
    {
      command: "ocicompat fleet --nodes profiles/ --images images.txt",
      explains: "node groups x workloads: which variant each group gets",
    },
    {
      command:
        "ocicompat fleet --nodes nodes.json --images pods.json --what-if new-nodes/ --html report.html",
      explains: "what a target fleet loses, switches and gains, also as HTML",
    },
  ],
  exit: { 0: "every workload has a compatible node", 1: "some workload has none", 2: EXIT_ERROR },
  env: [...REGISTRY_ENV, ...CACHE_ENV, ...LABEL_PACK_ENV, ...DISCOVERY_ENV],
};

export function fleetCommand(run: (code: ExitCode) => void): Command {
  const command = withHelp(new Command("fleet"), FLEET_HELP)
    .description(
      "which workloads run on which nodes: node groups × images, a readiness report, and --what-if for a migration; exit 1 when a workload has no compatible node",
    )
    .addOption(
      new Option(
        "--nodes <source...>",
        "node profiles (files or a directory), kubectl get nodes/nodefeatures -o json, or `host`",
      ).makeOptionMandatory(),
    )
    .addOption(
      new Option(
        "--images <source...>",
        "image references, files of references, or a kubectl workload dump (-o json)",
      ).makeOptionMandatory(),
    )
    .addOption(
      new Option("--what-if <source...>", "node sources of a target fleet to compare with"),
    )
    .addOption(
      new Option("-o, --output <format>", "output format").choices(FORMATS).default("table"),
    )
    .addOption(new Option("--html <file>", "also write a self-contained HTML report"))
    .addOption(
      new Option("--tags <list>", "consider only sets carrying one of these comma-separated tags"),
    )
    .addOption(new Option("--concurrency <n>", "registry reads in flight at once").default("16"))
    .addOption(labelsOption());
  return addRegistryOptions(command, "300s", { http2: true }).action(async (flags: FleetFlags) => {
    const concurrency = Number(flags.concurrency ?? "16");
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new OcicompatError(
        "USAGE",
        `--concurrency ${String(flags.concurrency)} is not a positive whole number`,
      );
    }
    const signal = deadlineSignal(flags.timeout, "fleet");
    const catalog = await loadCatalog(flags.labels);
    const tags = parseTags(flags.tags);
    const opener = await openerFrom(flags, { cache: true });
    const result = await withOpener(opener, () =>
      runFleet({
        nodes: flags.nodes,
        images: flags.images,
        ...(flags.whatIf ? { whatIf: flags.whatIf } : {}),
        opener,
        catalog,
        concurrency,
        ...(tags ? { tags } : {}),
        ...(signal ? { signal } : {}),
      }),
    );
    warn(result.report, "");
    if (result.target) warn(result.target, "target ");
    for (const image of result.report.images) {
      if (image.problem !== undefined) {
        process.stderr.write(`ocicompat: ${image.reference}: cannot be read: ${image.problem}\n`);
      }
    }
    if (flags.html !== undefined) {
      const html = renderFleetHtml({
        report: result.report,
        ...(result.target ? { target: result.target } : {}),
        ...(result.comparison ? { comparison: result.comparison } : {}),
        generated: new Date().toISOString(),
      });
      try {
        await writeFile(flags.html, html);
      } catch (err) {
        throw new OcicompatError("IO", `cannot write the HTML report: ${(err as Error).message}`, {
          subject: flags.html,
        });
      }
    }
    const shown = result.target ?? result.report;
    if (flags.output === "json" || flags.output === "yaml") {
      const data = {
        verdict: result.incomplete ? "incomplete" : result.placed ? "placed" : "not-placed",
        ...jsonReport(result.report),
        ...(result.target
          ? { target: jsonReport(result.target), comparison: result.comparison }
          : {}),
      };
      process.stdout.write(await renderData(flags.output, data));
    } else if (flags.output === "csv") {
      process.stdout.write(fleetCsv(shown));
    } else {
      if (result.target) process.stdout.write("current fleet:\n");
      process.stdout.write(`${fleetTable(result.report).join("\n")}\n`);
      if (result.target && result.comparison) {
        const c = result.comparison;
        process.stdout.write(`\ntarget fleet:\n${fleetTable(result.target).join("\n")}\n\n`);
        process.stdout.write(`lose every compatible node: ${c.lost.join(", ") || "none"}\n`);
        for (const s of c.switched) {
          process.stdout.write(
            `switch variant: ${s.workload} ${s.image}: ${s.current.map(shortDigest).join(",")} -> ${s.target.map(shortDigest).join(",")}\n`,
          );
        }
        for (const b of c.better) {
          process.stdout.write(
            `gain a better variant: ${b.workload} ${b.image}: ${b.current.platform ?? ""} ${shortDigest(b.current.digest)} -> ${b.target.platform ?? ""} ${shortDigest(b.target.digest)}\n`,
          );
        }
      }
      const s = shown.summary;
      process.stdout.write(
        `\n${s.workloads} workloads on ${s.nodes} nodes (${s.groups} groups): ${s.everywhere.length} run everywhere, ${s.oneGroup.length} on one group only, ${s.nowhere.length} nowhere${s.unknown.length ? `, ${s.unknown.length} unknown (unreadable images)` : ""}\n`,
      );
      for (const w of s.nowhere) process.stdout.write(`  no compatible node: ${w}\n`);
    }
    run(verdictOf(result));
  });
}
