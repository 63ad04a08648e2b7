// `ocicompat labels` and `ocicompat explain LABEL`: the label catalog, for people and for scripts.
import { Command } from "commander";
import { suggestLabel } from "../../compat/catalog.js";
import type { LabelDefinition } from "../../compat/label-definition.js";
import { LABEL_TYPE_SYNTAX } from "../../compat/label-types.js";
import { OcicompatError } from "../../oci/errors.js";
import { loadCatalog } from "../../ops/load-catalog.js";
import { ExitCode, type ExitCode as Code } from "../exit-codes.js";
import { color, labelsOption, outputOption, renderData, type OutputFormat } from "../output.js";
import { renderTable } from "../table.js";
import { type CommandHelp, EXIT_ERROR, LABEL_PACK_ENV, withHelp } from "../help.js";

const LABELS_HELP: CommandHelp = {
  examples: [
    { command: "ocicompat labels", explains: "the label catalog" },
    {
      command: "ocicompat labels --labels site-labels.yaml -o json",
      explains: "with a label pack, as JSON",
    },
  ],
  exit: { 0: "listed", 2: EXIT_ERROR },
  env: [...LABEL_PACK_ENV],
};

export function labelsCommand(run: (code: Code) => void): Command {
  return withHelp(new Command("labels"), LABELS_HELP)
    .description(
      "list the compatibility labels ocicompat knows: built-in ones and those of label packs",
    )
    .addOption(labelsOption())
    .addOption(outputOption())
    .action(async (opts: { labels: string[]; output: OutputFormat }) => {
      const catalog = await loadCatalog(opts.labels);
      const labels = catalog.list();
      if (opts.output === "table") {
        const rows = labels.map((l) => [l.name, l.type, l.source, l.summary]);
        process.stdout.write(
          `${renderTable(["LABEL", "TYPE", "SOURCE", "SUMMARY"], rows).join("\n")}\n`,
        );
      } else {
        process.stdout.write(await renderData(opts.output, { labels }));
      }
      run(ExitCode.Ok);
    });
}

const EXPLAIN_HELP: CommandHelp = {
  examples: [
    {
      command: "ocicompat explain oci.cpu.features",
      explains: "what the label means, where its fact comes from, its value syntax",
    },
    { command: "ocicompat explain -o json oci.os.glibc", explains: "the same as JSON" },
  ],
  exit: { 0: "explained", 2: `${EXIT_ERROR}; also an unknown label` },
  env: [...LABEL_PACK_ENV],
};

export function explainCommand(run: (code: Code) => void): Command {
  return withHelp(new Command("explain"), EXPLAIN_HELP)
    .description(
      "explain one label: meaning, where the fact comes from, value syntax, NFD equivalent",
    )
    .argument("<label>", "a label name or alias, e.g. oci.cpu.features")
    .addOption(labelsOption())
    .addOption(outputOption())
    .action(async (name: string, opts: { labels: string[]; output: OutputFormat }) => {
      const catalog = await loadCatalog(opts.labels);
      const def = catalog.get(name);
      if (!def) {
        // A misspelling first (oci.kernel.verison), then names that contain what was typed.
        const typo = suggestLabel(catalog, name);
        const close =
          typo !== undefined
            ? [typo]
            : catalog
                .list()
                .map((l) => l.name)
                .filter((n) => n.includes(name) || name.includes(n.split(".").pop() ?? "\u0000"));
        const hint = close.length
          ? `; did you mean ${close.slice(0, 3).join(", ")}?`
          : "; run ocicompat labels for the list";
        throw new OcicompatError("NOT_FOUND", `unknown label "${name}"${hint}`);
      }
      if (opts.output === "table") process.stdout.write(renderExplanation(def));
      else
        process.stdout.write(
          await renderData(opts.output, { ...def, syntax: LABEL_TYPE_SYNTAX[def.type] }),
        );
      run(ExitCode.Ok);
    });
}

function renderExplanation(def: LabelDefinition): string {
  const lines = [
    `${color.bold(def.name)}  (${def.type}, ${def.source})`,
    def.summary,
    "",
    def.explanation,
    "",
    `${color.bold("Value syntax")} (${def.type}): ${LABEL_TYPE_SYNTAX[def.type]}`,
  ];
  if (def.examples.length) {
    lines.push("", color.bold("Examples"));
    for (const e of def.examples) lines.push(`  ${JSON.stringify(e.value)}  ${e.meaning}`);
  }
  if (def.aliases.length) lines.push("", `${color.bold("Aliases")}: ${def.aliases.join(", ")}`);
  if (def.names === "cpu-feature")
    lines.push("", `${color.bold("Names")}: any spelling (sse4_2 = SSE4_2 = sse42 = SSE42)`);
  if (def.names === "device-id")
    lines.push("", `${color.bold("Names")}: any case, "." or ":" (15B3:101B = 15b3.101b)`);
  if (def.nfd)
    lines.push(
      "",
      `${color.bold("NFD")}: ${def.nfd.feature}${def.nfd.note ? ` (${def.nfd.note})` : ""}`,
    );
  if (def.discovery)
    lines.push("", `${color.bold("Discovery")}: ${def.discovery.command.join(" ")}`);
  if (def.docs) lines.push("", `${color.bold("Docs")}: ${def.docs}`);
  return `${lines.join("\n")}\n`;
}
