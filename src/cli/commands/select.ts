// `ocicompat select REF`: parsing and rendering only; the work is in ops/select.ts. The options and
// the run are shared with `ocicompat check REF`.
import { Command, Option } from "commander";
import type { EntryReport } from "../../compat/select.js";
import { loadCatalog } from "../../ops/load-catalog.js";
import { selectImage, type ImageSelection } from "../../ops/select.js";
import { exitCodeForVerdicts, type ExitCode } from "../exit-codes.js";
import { color, labelsOption, outputOption, renderData, type OutputFormat } from "../output.js";
import {
  addRegistryOptions,
  openerFrom,
  withOpener,
  type RegistryFlags,
} from "../registry-options.js";
import { DEFAULT_TIMEOUTS } from "../deadline.js";

export interface SelectionFlags extends RegistryFlags {
  node?: string;
  platform?: string;
  tags?: string;
  labels: string[];
  output: OutputFormat;
}

/** --node, --platform, --tags, --labels, -o and the registry flags. */
export function addSelectionOptions(command: Command): Command {
  command
    .addOption(
      new Option(
        "--node <profile>",
        "a saved node profile (JSON) instead of discovering this host",
      ),
    )
    .addOption(
      new Option("--platform <os/arch[/variant]>", "select as if the node had this platform"),
    )
    .addOption(
      new Option("--tags <list>", "consider only sets carrying one of these comma-separated tags"),
    )
    .addOption(labelsOption())
    .addOption(outputOption());
  return addRegistryOptions(command, DEFAULT_TIMEOUTS.select);
}

export function parseTags(text: string | undefined): string[] | undefined {
  return text
    ?.split(",")
    .map((t) => t.trim())
    .filter(Boolean);
}

/** Runs the selection for one reference with the command's flags; the opener caches by digest. */
export async function runSelection(input: string, flags: SelectionFlags): Promise<ImageSelection> {
  const catalog = await loadCatalog(flags.labels);
  const tags = parseTags(flags.tags);
  const opener = await openerFrom(flags, { cache: true });
  return withOpener(opener, () =>
    selectImage({
      reference: input,
      opener,
      catalog,
      ...(flags.node !== undefined ? { nodeFile: flags.node } : {}),
      ...(flags.platform !== undefined ? { platform: flags.platform } : {}),
      ...(tags ? { tags } : {}),
    }),
  );
}

/** Dangling or corrupt compatibilities and unreadable entries, loudly, on stderr. */
export function writeWarnings(selection: ImageSelection): void {
  for (const w of selection.warnings) {
    process.stderr.write(`ocicompat: ${color.yellow("warning")}: ${selection.reference}: ${w}\n`);
  }
}

function entryLabel(e: EntryReport): string {
  return `entry ${e.index} (${e.platform ?? "no platform"}, ${e.digest})`;
}

/** Why nothing fits: one line per entry, for stderr. */
export function noFitLines(selection: ImageSelection): string[] {
  const lines = [
    `${selection.reference}: no entry fits node ${selection.node.name} (${selection.node.platform})`,
  ];
  for (const e of selection.entries) {
    if (e.status === "nested") continue;
    lines.push(`  ${entryLabel(e)}: ${e.status}: ${e.reasons.map((r) => r.message).join("; ")}`);
  }
  return lines;
}

export function selectCommand(run: (code: ExitCode) => void): Command {
  const command = new Command("select")
    .description(
      "print the digest of the index entry that fits this node best; exit 1 when none fits",
    )
    .argument("<ref>", "registry/repo:tag, oci:DIR[:tag|@digest] or oci-archive:FILE[:tag]");
  return addSelectionOptions(command).action(async (input: string, flags: SelectionFlags) => {
    const selection = await runSelection(input, flags);
    writeWarnings(selection);
    if (flags.output !== "table") process.stdout.write(await renderData(flags.output, selection));
    else if (selection.chosen) process.stdout.write(`${selection.chosen.digest}\n`);
    if (!selection.chosen) {
      const [first, ...rest] = noFitLines(selection);
      process.stderr.write(`ocicompat: ${first ?? ""}\n${rest.map((l) => `${l}\n`).join("")}`);
    }
    run(exitCodeForVerdicts([selection.compatible ? "ok" : "failed"]));
  });
}
