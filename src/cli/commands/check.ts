// `ocifit check --spec FILE --node PROFILE`: parsing and rendering only; the work is in ops/.
import { Command, Option } from "commander";
import type { LabelResult, SetResult } from "../../compat/evaluate.js";
import type { Fact } from "../../compat/label-types.js";
import { OcifitError } from "../../oci/errors.js";
import { checkSpec, type CheckSpecResult } from "../../ops/check-spec.js";
import { loadCatalog } from "../../ops/load-catalog.js";
import { exitCodeForVerdicts, type ExitCode } from "../exit-codes.js";
import { color, labelsOption, outputOption, renderData, type OutputFormat } from "../output.js";
import { renderTable } from "../table.js";

interface CheckOptions {
  spec?: string;
  node?: string;
  tags?: string;
  labels: string[];
  output: OutputFormat;
}

export function checkCommand(run: (code: ExitCode) => void): Command {
  return new Command("check")
    .description(
      "check whether a node satisfies a compatibilities spec; exit 0 compatible, 1 not compatible",
    )
    .addOption(
      new Option(
        "--spec <file>",
        "compatibilities: an authoring file (YAML/JSON), a Proposal J blob, or a Proposal I config",
      ),
    )
    .addOption(new Option("--node <profile>", "a saved node profile (JSON) to check against"))
    .addOption(
      new Option("--tags <list>", "consider only sets carrying one of these comma-separated tags"),
    )
    .addOption(labelsOption())
    .addOption(outputOption())
    .action(async (opts: CheckOptions) => {
      if (!opts.spec || !opts.node) {
        throw new OcifitError(
          "USAGE",
          "check needs --spec FILE and --node PROFILE (checking an image reference against this host is not available yet)",
        );
      }
      const catalog = await loadCatalog(opts.labels);
      const tags = opts.tags
        ?.split(",")
        .map((t) => t.trim())
        .filter(Boolean);
      const result = await checkSpec({
        spec: opts.spec,
        node: opts.node,
        catalog,
        ...(tags ? { tags } : {}),
      });
      if (opts.output === "table") process.stdout.write(renderHuman(result));
      else process.stdout.write(renderData(opts.output, toJson(result)));
      run(exitCodeForVerdicts([result.compatible ? "ok" : "failed"]));
    });
}

/** The documented -o json shape (docs/cli.md). */
function toJson(r: CheckSpecResult): unknown {
  return {
    verdict: r.compatible ? "compatible" : "not-compatible",
    compatible: r.compatible,
    spec: r.spec,
    node: r.node,
    ...(r.bestSet !== undefined
      ? { bestSet: r.bestSet, score: r.score, specificity: r.specificity }
      : {}),
    sets: r.sets,
    warnings: r.warnings,
  };
}

const STATUS_COLOR = {
  pass: color.green,
  fail: color.red,
  unknown: color.yellow,
  skipped: color.dim,
} as const;

function renderHuman(r: CheckSpecResult): string {
  const out: string[] = [];
  for (const w of r.warnings)
    out.push(`${color.yellow("warning")}: ${r.spec}: ${w.path}: ${w.message}`);
  out.push(`node ${r.node.name} (${r.node.platform}) against ${r.spec}`, "");
  for (const set of r.sets) out.push(...renderSet(set, set.index === r.bestSet), "");
  if (r.compatible) {
    out.push(`${color.green("compatible")}: set ${r.bestSet} passes (score ${r.score})`);
  } else {
    const unknown = r.sets.some((s) => s.status === "unknown");
    out.push(
      `${color.red("not compatible")}: no set passes${unknown ? " (some labels are unknown on this node)" : ""}`,
    );
  }
  return out.map((l) => `${l}\n`).join("");
}

function renderSet(set: SetResult, chosen: boolean): string[] {
  const title = [
    `set ${set.index}`,
    set.description ? `"${set.description}"` : "",
    set.tags.length ? `[${set.tags.join(", ")}]` : "",
    `score ${set.score}`,
    STATUS_COLOR[set.status](set.status.toUpperCase()),
    chosen ? color.bold("← chosen") : "",
  ]
    .filter(Boolean)
    .join("  ");
  if (set.status === "skipped") return [title, `  skipped: ${set.reason ?? ""}`];
  const rows = set.labels.map((l: LabelResult) => [
    l.label,
    l.required,
    observed(l.observed),
    STATUS_COLOR[l.status](l.status),
    l.status === "pass" ? "" : l.reason,
  ]);
  return [
    title,
    ...renderTable(["LABEL", "REQUIRED", "OBSERVED", "STATUS", "REASON"], rows).map(
      (line) => `  ${line}`,
    ),
  ];
}

function observed(fact: Fact | undefined): string {
  if (fact === undefined) return "-";
  const text = Array.isArray(fact) ? fact.join(", ") : String(fact);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
