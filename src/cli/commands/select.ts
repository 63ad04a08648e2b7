// `ocicompat select REF`: parsing and rendering only; the work is in ops/select.ts. The options and
// the run are shared with `ocicompat check REF`.
import { Command, Option } from "commander";
import { BUDGET_FLAGS, DEFAULT_BUDGETS, type SelectionBudgets } from "../../compat/budget.js";
import type { EntryReport } from "../../compat/select/report.js";
import { OcicompatError } from "../../oci/errors.js";
import { loadCatalog } from "../../ops/load-catalog.js";
import { selectImage, type ImageSelection } from "../../ops/select.js";
import { COMPAT_SOURCES, type CompatSource } from "../../ops/select/read-image.js";
import { exitCodeForVerdicts, noteFollowUp, type ExitCode } from "../exit-codes.js";
import {
  color,
  labelsOption,
  outputOption,
  renderData,
  shortDigest as short,
  type OutputFormat,
} from "../output.js";
import { addRegistryOptions, openerFrom, type RegistryFlags } from "../registry-options.js";
import { deadlineSignal, DEFAULT_TIMEOUTS } from "../deadline.js";
import {
  CACHE_ENV,
  type CommandHelp,
  DISCOVERY_ENV,
  EXIT_ERROR,
  LABEL_PACK_ENV,
  REGISTRY_ENV,
  withHelp,
} from "../help.js";

export interface SelectionFlags extends RegistryFlags {
  node?: string;
  platform?: string;
  tags?: string;
  source: CompatSource;
  labels: string[];
  output: OutputFormat;
  maxCompatBytes?: string;
  maxSets?: string;
  maxLabels?: string;
  maxAlternatives?: string;
  maxEntries?: string;
  maxFeatures?: string;
}

/** Each budget's flag property and its help text (docs/security.md#limits-and-budgets). */
const BUDGET_OPTIONS: readonly [keyof SelectionBudgets, keyof SelectionFlags, string][] = [
  [
    "compatBytes",
    "maxCompatBytes",
    "bytes of compatibilities content read per image (512KiB, 4MiB)",
  ],
  ["sets", "maxSets", "compatibility sets per image"],
  ["labelsPerSet", "maxLabels", "labels per compatibility set"],
  ["alternativesPerValue", "maxAlternatives", "items and alternatives per label value"],
  ["entries", "maxEntries", "index entries per image, nested indexes included"],
  ["featuresPerEntry", "maxFeatures", "platform.features (and os.features) per entry"],
];

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  k: 1000,
  kb: 1000,
  ki: 1024,
  kib: 1024,
  m: 1000 ** 2,
  mb: 1000 ** 2,
  mi: 1024 ** 2,
  mib: 1024 ** 2,
};

/** A budget flag's value: a positive whole number, for bytes also with a unit (4MiB, 512k). */
export function parseBudget(text: string, flag: string, bytes: boolean): number {
  const m = /^\s*(\d+)\s*([a-z]*)\s*$/i.exec(text);
  const unit = SIZE_UNITS[(m?.[2] ?? "").toLowerCase()];
  const value = m && unit !== undefined && (bytes || m[2] === "") ? Number(m[1]) * unit : NaN;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new OcicompatError(
      "USAGE",
      `${flag} ${JSON.stringify(text)} is not a positive whole number${bytes ? " of bytes (like 1048576, 512KiB or 4MiB)" : ""}`,
    );
  }
  return value;
}

/** The budgets given on the command line; the others keep their defaults. */
export function budgetsFrom(flags: SelectionFlags): Partial<SelectionBudgets> {
  const budgets: Partial<SelectionBudgets> = {};
  for (const [key, property] of BUDGET_OPTIONS) {
    const text = flags[property];
    if (typeof text === "string") {
      budgets[key] = parseBudget(text, BUDGET_FLAGS[key], key === "compatBytes");
    }
  }
  return budgets;
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
    .addOption(
      new Option(
        "--source <source>",
        "which compatibilities decide: auto (Proposal I/J data, else the entry's NFD artifact), ij, or nfd",
      )
        .choices(COMPAT_SOURCES)
        .default("auto"),
    )
    .addOption(labelsOption())
    .addOption(outputOption());
  for (const [key, , help] of BUDGET_OPTIONS) {
    const value = key === "compatBytes" ? "<bytes>" : "<count>";
    command.addOption(
      new Option(`${BUDGET_FLAGS[key]} ${value}`, `budget: ${help}`).default(
        String(DEFAULT_BUDGETS[key]),
      ),
    );
  }
  return addRegistryOptions(command, DEFAULT_TIMEOUTS.select, { http2: true });
}

export function parseTags(text: string | undefined): string[] | undefined {
  return text
    ?.split(",")
    .map((t) => t.trim())
    .filter(Boolean);
}

/** Runs the selection for one reference with the command's flags; the opener caches by digest. */
export async function runSelection(input: string, flags: SelectionFlags): Promise<ImageSelection> {
  const signal = deadlineSignal(flags.timeout, input);
  const budgets = budgetsFrom(flags);
  const catalog = await loadCatalog(flags.labels);
  const tags = parseTags(flags.tags);
  const opener = await openerFrom(flags, { cache: true });
  let selection: ImageSelection;
  try {
    selection = await selectImage({
      reference: input,
      opener,
      catalog,
      budgets,
      ...(signal ? { signal } : {}),
      ...(flags.node !== undefined ? { nodeFile: flags.node } : {}),
      ...(flags.platform !== undefined ? { platform: flags.platform } : {}),
      ...(tags ? { tags } : {}),
      source: flags.source,
    });
  } catch (err) {
    // A run the deadline cut short may leave a request behind that a store does not abort:
    // closing would wait for it, so the error is reported now and the connection closes later.
    if (signal?.aborted) void opener.close().catch(() => undefined);
    else await opener.close().catch((closeErr: unknown) => noteFollowUp(err, closeErr));
    throw err;
  }
  await opener.close();
  return selection;
}

/**
 * On stderr, in every output mode: dangling or corrupt compatibilities and unreadable entries,
 * then the deviations from the proposals' text that were read leniently (docs/interop.md), one
 * line per entry and JSON path.
 */
export function writeWarnings(selection: ImageSelection): void {
  const warn = (line: string): void => {
    process.stderr.write(
      `ocicompat: ${color.yellow("warning")}: ${selection.reference}: ${line}\n`,
    );
  };
  for (const w of selection.warnings) warn(w);
  for (const e of selection.entries) {
    const compat = e.compat;
    for (const w of compat?.warnings ?? []) {
      warn(
        `entry ${e.path.join(".")} (${e.platform ?? "no platform"}, ${short(e.digest)}): ${compat?.form ?? ""} ${short(compat?.digest ?? "")}: ${w.path}: ${w.message}`,
      );
    }
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

const SELECT_HELP: CommandHelp = {
  examples: [
    {
      command: 'docker pull "registry.example/app@$(ocicompat select registry.example/app:1.4)"',
      explains: "pull the variant that fits this host",
    },
    {
      command: "ocicompat select --platform linux/arm64 --node node.json registry.example/app:1.4",
      explains: "for another node and platform",
    },
    {
      command: "ocicompat select -o json --tags gpu oci-archive:app.tar:1.4",
      explains: "the full ranking, only sets tagged gpu, from an OCI archive",
    },
  ],
  exit: {
    0: "an entry fits; its digest is printed",
    1: "no entry fits; stderr says why each was excluded",
    2: EXIT_ERROR,
  },
  env: [...REGISTRY_ENV, ...CACHE_ENV, ...LABEL_PACK_ENV, ...DISCOVERY_ENV],
};

export function selectCommand(run: (code: ExitCode) => void): Command {
  const command = withHelp(new Command("select"), SELECT_HELP)
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
