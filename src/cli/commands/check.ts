// `ocicompat check REF` (which entry of an image fits this node, and why the others don't) and
// `ocicompat check --spec FILE --node PROFILE` (a spec against a profile, offline): parsing and
// rendering only; the work is in ops/.
import { Command, Option } from "commander";
import type { LabelResult, SetResult } from "../../compat/evaluate.js";
import type { Fact } from "../../compat/label-types.js";
import { formatSpecificity, type EntryReport } from "../../compat/select/report.js";
import type { NfdSpecResult } from "../../compat/nfd/evaluate.js";
import { OcicompatError } from "../../oci/errors.js";
import { checkSpec, type CheckSpecResult } from "../../ops/check-spec.js";
import { loadCatalog } from "../../ops/load-catalog.js";
import type { ImageSelection } from "../../ops/select.js";
import { exitCodeForVerdicts, type ExitCode } from "../exit-codes.js";
import { color, renderData, shortDigest as short } from "../output.js";
import { renderTable } from "../table.js";
import {
  addSelectionOptions,
  budgetsFrom,
  parseTags,
  runSelection,
  writeWarnings,
  type SelectionFlags,
} from "./select.js";
import {
  CACHE_ENV,
  type CommandHelp,
  DISCOVERY_ENV,
  EXIT_ERROR,
  LABEL_PACK_ENV,
  REGISTRY_ENV,
  withHelp,
} from "../help.js";

interface CheckOptions extends SelectionFlags {
  spec?: string;
}

const CHECK_HELP: CommandHelp = {
  examples: [
    {
      command: "ocicompat check registry.example/app:1.4",
      explains:
        "every entry of the image, chosen or excluded, with each label's required and observed value",
    },
    {
      command:
        "ocicompat check --node examples/nodes/amd-genoa.json docker://registry.example/app:1.4",
      explains: "as if this host were the saved node profile",
    },
    {
      command: "ocicompat check --spec compat.yaml --node examples/nodes/amd-genoa.json",
      explains: "a compatibilities file against a node profile, offline",
    },
    {
      command: "ocicompat check -o json oci:app-layout:1.4",
      explains: "the whole report as JSON, from an OCI layout",
    },
  ],
  exit: {
    0: "some entry fits this node (with --spec: some set passes)",
    1: "no entry fits (with --spec: no set passes)",
    2: EXIT_ERROR,
  },
  env: [...REGISTRY_ENV, ...CACHE_ENV, ...LABEL_PACK_ENV, ...DISCOVERY_ENV],
};

export function checkCommand(run: (code: ExitCode) => void): Command {
  const command = withHelp(new Command("check"), CHECK_HELP)
    .description(
      "check which entry of an image fits this node (or a spec against a node profile); exit 0 compatible, 1 not compatible",
    )
    .argument("[ref]", "registry/repo:tag, oci:DIR[:tag|@digest] or oci-archive:FILE[:tag]")
    .addOption(
      new Option(
        "--spec <file>",
        "check a compatibilities spec instead of an image: an authoring file (YAML/JSON), a Proposal J blob, or a Proposal I config",
      ),
    );
  return addSelectionOptions(command).action(
    async (input: string | undefined, opts: CheckOptions) => {
      if (opts.spec !== undefined) {
        await checkSpecMode(input, opts, run);
        return;
      }
      if (input === undefined) {
        throw new OcicompatError(
          "USAGE",
          "check needs an image reference (ocicompat check REF), or --spec FILE and --node PROFILE",
        );
      }
      const selection = await runSelection(input, opts);
      writeWarnings(selection);
      // What discovery could not read explains labels reported as unknown.
      for (const d of selection.diagnostics) {
        process.stderr.write(`ocicompat: note: discovery: ${d.probe}: ${d.message}\n`);
      }
      if (opts.output === "table") process.stdout.write(renderSelection(selection));
      else process.stdout.write(await renderData(opts.output, selection));
      run(exitCodeForVerdicts([selection.compatible ? "ok" : "failed"]));
    },
  );
}

async function checkSpecMode(
  input: string | undefined,
  opts: CheckOptions,
  run: (code: ExitCode) => void,
): Promise<void> {
  if (input !== undefined) {
    throw new OcicompatError("USAGE", "give an image reference or --spec FILE, not both");
  }
  if (opts.platform !== undefined) {
    throw new OcicompatError("USAGE", "--platform applies to images; a spec has no platform");
  }
  if (!opts.node) {
    throw new OcicompatError(
      "USAGE",
      "check --spec needs --spec FILE and --node PROFILE (a spec is checked against a saved profile)",
    );
  }
  const spec = opts.spec as string;
  const budgets = budgetsFrom(opts);
  const catalog = await loadCatalog(opts.labels);
  const tags = parseTags(opts.tags);
  const result = await checkSpec({
    spec,
    node: opts.node,
    catalog,
    budgets,
    ...(tags ? { tags } : {}),
  });
  // Diagnostics, in every output mode: stdout stays the report alone.
  for (const w of result.warnings) {
    process.stderr.write(
      `ocicompat: ${color.yellow("warning")}: ${result.spec}: ${w.path}: ${w.message}\n`,
    );
  }
  if (opts.output === "table") process.stdout.write(renderHuman(result));
  else process.stdout.write(await renderData(opts.output, toJson(result)));
  run(exitCodeForVerdicts([result.compatible ? "ok" : "failed"]));
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

// ---- check REF ---------------------------------------------------------------------------------

const ENTRY_STATUS = {
  chosen: (s: string) => color.bold(color.green(s)),
  compatible: color.green,
  excluded: color.red,
  skipped: color.dim,
  nested: color.dim,
} as const;

function nodeLine(s: ImageSelection): string {
  const n = s.node;
  const from =
    n.source === "file"
      ? `profile ${n.input ?? ""}`
      : n.source === "discovery"
        ? `this host, discovered${n.labelsWanted ? ` (labels: ${n.labelsWanted.join(", ") || "none"})` : ""}`
        : "a profile";
  const override = n.platformOverride ? `, platform overridden by --platform` : "";
  return `node ${n.name} (${n.platform}${override}) from ${from}`;
}

function entryTitle(e: EntryReport): string {
  const indent = "  ".repeat(e.path.length - 1);
  const status =
    e.status === "chosen"
      ? "CHOSEN"
      : e.status === "compatible"
        ? `compatible, rank ${e.rank ?? "?"}`
        : e.status;
  return `${indent}${[
    `entry ${e.path.join(".")}`,
    e.platform ?? "(no platform)",
    e.features.length ? `[${e.features.join(", ")}]` : "",
    short(e.digest),
    ENTRY_STATUS[e.status](status),
    e.score !== undefined ? `score ${e.score}` : "",
    e.specificity !== undefined ? `specificity ${formatSpecificity(e.specificity)}` : "",
  ]
    .filter(Boolean)
    .join("  ")}`;
}

function renderEntry(e: EntryReport): string[] {
  const indent = "  ".repeat(e.path.length);
  const out = [entryTitle(e)];
  // The compatibilities speak for themselves below, set by set.
  for (const r of e.reasons) {
    if (r.step !== "compatibilities") out.push(`${indent}${r.message}`);
  }
  const compat = e.compat;
  if (e.status === "skipped" || e.status === "nested") return out;
  if (!compat) {
    if (e.excludedBy === undefined) out.push(`${indent}compatibilities: none (passes)`);
    return out;
  }
  const head = `${indent}compatibilities: ${compat.form} ${compat.digest}`;
  if (compat.nfdResult !== undefined) {
    out.push(`${head}, NFD rules`);
    out.push(...renderNfd(compat.nfdResult, e.status !== "excluded").map((l) => `${indent}${l}`));
    return out;
  }
  if (compat.result === undefined) {
    out.push(`${head}  ${color.red("UNREADABLE")}: ${compat.problem ?? ""}`);
    return out;
  }
  const sets = compat.result.sets.length;
  out.push(`${head}, ${sets} set${sets === 1 ? "" : "s"}`);
  if (e.excludedBy === "platform") {
    out.push(`${indent}(sets not shown: the platform does not run on this node)`);
    return out;
  }
  for (const set of compat.result.sets) {
    const chosenSet = e.status !== "excluded" && set.index === compat.result.bestSet;
    out.push(...renderSet(set, chosenSet).map((l) => `${indent}${l}`));
  }
  if (e.excludedBy === "compatibilities") out.push(`${indent}no compatibility set passes`);
  return out;
}

/** NFD compatibilities: each one's status, and every rule with the failing expression. */
function renderNfd(result: NfdSpecResult, entryPasses: boolean): string[] {
  const out: string[] = [];
  for (const c of result.compatibilities) {
    const status = c.status === "pass" ? "pass" : c.status === "fail" ? "fail" : "skipped";
    const title = [
      `NFD compatibility ${c.index}`,
      c.description ? `"${c.description}"` : "",
      c.tag ? `[${c.tag}]` : "",
      `weight ${c.weight}`,
      STATUS_COLOR[status](status.toUpperCase()),
      entryPasses && c.index === result.best ? color.bold("← chosen") : "",
    ]
      .filter(Boolean)
      .join("  ");
    out.push(title);
    if (c.reason !== undefined) out.push(`  skipped: ${c.reason}`);
    for (const r of c.rules) {
      const mark = r.matched ? color.green("match") : color.red("no match");
      out.push(`  rule "${r.name}": ${mark}${r.failure ? `: ${r.failure}` : ""}`);
    }
  }
  return out;
}

function renderSelection(s: ImageSelection): string {
  const out: string[] = [];
  const entries = s.entries.filter((e) => e.path.length === 1).length;
  out.push(
    `${s.reference}  ${s.root.kind} ${s.root.digest}${s.root.kind === "index" ? `, ${entries} entr${entries === 1 ? "y" : "ies"}` : ""}`,
  );
  if (s.readFrom) {
    const { registry, repository, mirror } = s.readFrom;
    out.push(
      `read from ${registry}/${repository} (registries.conf ${mirror ? "mirror" : "location"})`,
    );
  }
  out.push(nodeLine(s), "");
  for (const e of s.entries) out.push(...renderEntry(e), "");
  const chosen = s.chosen ? s.entries[s.chosen.index] : undefined;
  if (chosen) {
    out.push(
      `${color.green("compatible")}: entry ${chosen.path.join(".")} ${chosen.digest} (${chosen.platform ?? "no platform"}, score ${chosen.score ?? 0}${chosen.specificity ? `, specificity ${formatSpecificity(chosen.specificity)}` : ""})`,
    );
  } else {
    out.push(`${color.red("not compatible")}: no entry fits this node`);
  }
  return out.map((l) => `${l}\n`).join("");
}
