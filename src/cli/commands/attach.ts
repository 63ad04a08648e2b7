// `ocicompat attach REF --file FILE` and `ocicompat detach REF`: parsing and rendering only.
import { Command, Option } from "commander";
import { OcicompatError, type ValidationIssue } from "../../oci/errors.js";
import { parseReference } from "../../oci/reference.js";
import { AnchorPolicies, type AnchorPolicy } from "../../ops/anchors.js";
import { attach } from "../../ops/attach.js";
import { readCompatFile, type CompatFile } from "../../ops/attach/compat-file.js";
import { defaultCreated } from "../../ops/attach/created.js";
import {
  AttachFormats,
  LayerPolicies,
  type AttachFormat,
  type LayersOption,
} from "../../ops/attach/options.js";
import type { AttachResult, PlannedWrite } from "../../ops/attach/result.js";
import { tagOf } from "../../ops/attach/tag.js";
import { detach, type DetachResult } from "../../ops/detach.js";
import { inferredSetsFor, isBrokenImageError, type EntryInference } from "../../ops/infer.js";
import type { MergeResult } from "../../compat/infer/merge.js";
import { addInferBoundOptions, boundsFrom, type InferFlags } from "./infer.js";
import { attachNfd } from "../../ops/attach/nfd.js";
import { readNfdSpecFile } from "../../ops/attach/nfd-file.js";
import { CompatFields, type CompatField } from "../../compat/index-edit.js";
import { loadCatalog } from "../../ops/load-catalog.js";
import { ExitCode, type ExitCode as Code } from "../exit-codes.js";
import { color, labelsOption, outputOption, renderData, type OutputFormat } from "../output.js";
import {
  addRegistryOptions,
  openerFrom,
  withOpener,
  type RegistryFlags,
} from "../registry-options.js";
import { DEFAULT_TIMEOUTS, deadlineSignal } from "../deadline.js";
import { type CommandHelp, EXIT_ERROR, LABEL_PACK_ENV, REGISTRY_ENV, withHelp } from "../help.js";

interface TargetFlags {
  platform?: string;
  digest?: string;
  all?: boolean;
  dryRun?: boolean;
}

function addTargetOptions(command: Command, verb: string): Command {
  return command
    .addOption(new Option("--platform <os/arch[/variant]>", `${verb} the entry of this platform`))
    .addOption(new Option("--digest <digest>", `${verb} the entry with this manifest digest`))
    .addOption(new Option("--all", `${verb} every matching entry (every image entry by default)`))
    .addOption(new Option("--dry-run", "show what would be written, write nothing"));
}

function selector(opts: TargetFlags) {
  return {
    ...(opts.platform === undefined ? {} : { platform: opts.platform }),
    ...(opts.digest === undefined ? {} : { digest: opts.digest }),
    ...(opts.all ? { all: true } : {}),
    ...(opts.dryRun ? { dryRun: true } : {}),
  };
}

const ATTACH_HELP: CommandHelp = {
  examples: [
    {
      command: "ocicompat attach registry.example/app:1.4 -f compat.yaml --platform linux/amd64/v3",
      explains:
        "attach a compatibilities file to the linux/amd64/v3 entry; the tag moves to the new index",
    },
    {
      command: "ocicompat attach oci:app-layout:1.4 -f compat.json --all --format blob",
      explains: "every image entry, as a Proposal J blob, in an OCI layout",
    },
    {
      command: "ocicompat attach registry.example/app:1.4 --infer --platform linux/amd64 --dry-run",
      explains: "infer the rules from the entry's layers and show what would be written",
    },
  ],
  exit: {
    0: "attached (or, with --dry-run, planned)",
    2: `${EXIT_ERROR}; an invalid file or an ambiguous target too`,
  },
  env: [...REGISTRY_ENV, ...LABEL_PACK_ENV],
};

export function attachCommand(run: (code: Code) => void): Command {
  const command = withHelp(new Command("attach"), ATTACH_HELP)
    .description(
      "attach compatibilities to index entries: write the compat content, its GC anchors, then the new index under the same tag",
    )
    .argument("<ref>", "registry/repo:tag, oci:DIR:tag or oci-archive:FILE:tag")
    .option(
      "-f, --file <file>",
      "the compatibilities file (authoring YAML/JSON or a Proposal J blob)",
    )
    .addOption(
      new Option(
        "--infer",
        "infer rules from each entry's layers (as ocicompat infer does) and merge them into the sets",
      ),
    )
    .addOption(
      new Option(
        "--format <format>",
        "Proposal I manifest, Proposal J blob (with a keeper manifest), or an NFD image-compatibility artifact (a referrer; the index is not changed)",
      )
        .choices([...AttachFormats, "nfd"])
        .default("manifest"),
    )
    .addOption(
      new Option(
        "--field <field>",
        "the index platform member written: compatibilities (seed Proposal I) or compat (Proposal J, final Proposal I)",
      )
        .choices(CompatFields)
        .default("compatibilities"),
    )
    .addOption(
      new Option("--anchor <policy>", "what keeps the compat content from registry GC")
        .choices(AnchorPolicies)
        .default("auto"),
    )
    .addOption(
      new Option(
        "--layers <layers>",
        "layers of the compat manifest: one empty descriptor, or none",
      )
        .choices(LayerPolicies)
        .default("empty"),
    )
    .addOption(labelsOption())
    .addOption(outputOption());
  addTargetOptions(command, "attach to");
  addInferBoundOptions(command);
  return addRegistryOptions(command, DEFAULT_TIMEOUTS.write).action(
    async (
      input: string,
      opts: RegistryFlags &
        TargetFlags &
        InferFlags & {
          file?: string;
          infer?: boolean;
          format: AttachFormat | "nfd";
          field: CompatField;
          anchor: AnchorPolicy;
          layers: LayersOption;
          labels: string[];
          output: OutputFormat;
        },
    ) => {
      const ref = parseReference(input);
      const { tag, expect } = tagOf(ref, input);
      if (opts.format === "nfd") {
        if (opts.infer) {
          throw new OcicompatError("USAGE", "--infer cannot be combined with --format nfd");
        }
        if (opts.file === undefined) {
          throw new OcicompatError("USAGE", "attach --format nfd needs --file");
        }
        await attachNfdMode(input, { ...opts, file: opts.file });
        run(ExitCode.Ok);
        return;
      }
      const format: AttachFormat = opts.format;
      if (opts.file === undefined && !opts.infer) {
        throw new OcicompatError("USAGE", "attach needs --file, --infer, or both");
      }
      const bounds = boundsFrom(opts);
      const compat: CompatFile =
        opts.file === undefined
          ? { sets: [], warnings: [] }
          : await readCompatFile(opts.file, await loadCatalog(opts.labels));
      if (opts.file !== undefined) printWarnings(opts.file, compat.warnings);
      const signal = deadlineSignal(opts.timeout, input);
      const opener = await openerFrom(opts);
      let result: AttachResult;
      try {
        result = await withOpener(opener, async () => {
          const { store } = await opener.open(ref);
          return attach(store, tag, {
            ...selector(opts),
            sets: compat.sets,
            ...(opts.infer
              ? { setsFor: inferredSetsFor(store, { bounds, signal, onInferred: reportInferred }) }
              : {}),
            format,
            field: opts.field,
            anchor: opts.anchor,
            layers: opts.layers,
            signal,
            ...(expect === undefined ? {} : { expect }),
            ...(compat.annotations === undefined ? {} : { blobAnnotations: compat.annotations }),
          });
        });
      } catch (err) {
        if (!isBrokenImageError(err)) throw err;
        reportInferred(err.inference, []);
        process.stderr.write(
          `ocicompat: nothing was attached: ${err.inference.platform.os}/${err.inference.platform.architecture} ${err.inference.manifest.digest} has error findings (see ocicompat infer)\n`,
        );
        run(ExitCode.Failed);
        return;
      }
      for (const w of result.warnings) process.stderr.write(`ocicompat: warning: ${w}\n`);
      if (opts.output === "table") process.stdout.write(renderAttach(input, result));
      else process.stdout.write(await renderData(opts.output, result));
      run(ExitCode.Ok);
    },
  );
}

/** `attach --format nfd`: push an NFD artifact for the chosen entries; the tag is unchanged. */
async function attachNfdMode(
  input: string,
  opts: RegistryFlags &
    TargetFlags & { file: string; anchor: AnchorPolicy; labels: string[]; output: OutputFormat },
): Promise<void> {
  if (opts.dryRun) {
    // Planning an NFD push is not implemented: refuse rather than write during a "dry run".
    throw new OcicompatError("USAGE", "--dry-run is not available with --format nfd");
  }
  const ref = parseReference(input);
  const { tag } = tagOf(ref, input);
  const spec = await readNfdSpecFile(opts.file, await loadCatalog(opts.labels));
  printWarnings(opts.file, spec.warnings);
  const signal = deadlineSignal(opts.timeout, input);
  const opener = await openerFrom(opts);
  const result = await withOpener(opener, async () => {
    const { store } = await opener.open(ref);
    return attachNfd(store, tag, {
      ...selector(opts),
      specFor: spec.specFor,
      anchor: opts.anchor,
      created: defaultCreated(),
      signal,
    });
  });
  if (opts.output !== "table") {
    process.stdout.write(await renderData(opts.output, result));
    return;
  }
  const lines = [
    `${input}: NFD image-compatibility artifact${spec.converted ? " (converted from ocicompat sets)" : ""}`,
  ];
  for (const e of result.entries) {
    const anchors = [e.anchors.referrersTag, e.anchors.nfdTag].filter(Boolean).join(", ");
    lines.push(
      `  entry ${e.position} ${e.platform} ${e.manifest.digest}: artifact ${e.artifact.digest}${anchors ? ` (anchors: ${anchors})` : e.anchors.subjectAccepted ? " (referrers API)" : ""}`,
    );
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}

const DETACH_HELP: CommandHelp = {
  examples: [
    {
      command: "ocicompat detach registry.example/app:1.4 --platform linux/amd64",
      explains: "remove the compatibilities of the linux/amd64 entry",
    },
    {
      command: "ocicompat detach oci:app-layout:1.4 --all --dry-run",
      explains: "show what detaching every entry would write",
    },
  ],
  exit: { 0: "detached, or nothing to detach", 2: EXIT_ERROR },
  env: [...REGISTRY_ENV],
};

export function detachCommand(run: (code: Code) => void): Command {
  const command = withHelp(new Command("detach"), DETACH_HELP)
    .description("remove compatibilities from index entries, and their referrers listing")
    .argument("<ref>", "registry/repo:tag, oci:DIR:tag or oci-archive:FILE:tag")
    .addOption(outputOption());
  addTargetOptions(command, "detach from");
  return addRegistryOptions(command, DEFAULT_TIMEOUTS.write).action(
    async (input: string, opts: RegistryFlags & TargetFlags & { output: OutputFormat }) => {
      const ref = parseReference(input);
      const { tag, expect } = tagOf(ref, input);
      const signal = deadlineSignal(opts.timeout, input);
      const opener = await openerFrom(opts);
      const result: DetachResult = await withOpener(opener, async () => {
        const { store } = await opener.open(ref);
        return detach(store, tag, {
          ...selector(opts),
          signal,
          ...(expect === undefined ? {} : { expect }),
        });
      });
      for (const w of result.warnings) process.stderr.write(`ocicompat: warning: ${w}\n`);
      if (opts.output === "table") process.stdout.write(renderDetach(input, result));
      else process.stdout.write(await renderData(opts.output, result));
      run(ExitCode.Ok);
    },
  );
}

/** attach --infer: what inference found for an entry, and where the file's value was kept. */
function reportInferred(entry: EntryInference, kept: MergeResult["kept"]): void {
  const where = [entry.platform.os, entry.platform.architecture, entry.platform.variant]
    .filter(Boolean)
    .join("/");
  for (const f of entry.findings) {
    if (f.severity === "info") continue;
    const label = f.severity === "error" ? color.red("error") : color.yellow("warning");
    process.stderr.write(`ocicompat: ${where}: ${label}: ${f.code}: ${f.message}\n`);
  }
  for (const k of kept) {
    process.stderr.write(
      `ocicompat: ${where}: ${color.yellow("warning")}: ${k.label}: kept the file's ${JSON.stringify(k.authored)} over the inferred ${JSON.stringify(k.inferred)}\n`,
    );
  }
}

function printWarnings(file: string, warnings: readonly ValidationIssue[]): void {
  for (const w of warnings) {
    process.stderr.write(`${file}: ${color.yellow("warning")}: ${w.path}: ${w.message}\n`);
  }
}

const ROLE_TEXT: Record<PlannedWrite["role"], string> = {
  empty: "empty blob {}",
  config: "compat config",
  "compat-blob": "compat blob (Proposal J)",
  "compat-manifest": "compat manifest",
  keeper: "keeper manifest",
  "compat-tag": "anchor tag",
  "keep-tag": "keep tag",
  "referrers-tag": "referrers fallback index",
  index: "index",
};

function writeLines(writes: readonly PlannedWrite[]): string[] {
  return writes.map((w, i) => {
    const target = w.tag === undefined ? w.descriptor.digest : `${w.tag} -> ${w.descriptor.digest}`;
    const notes = [
      w.skipped ? "already present" : "",
      w.conditional ? "if the registry has no referrers API" : "",
    ].filter(Boolean);
    return `  ${i + 1}. ${w.action.padEnd(8)} ${ROLE_TEXT[w.role].padEnd(24)} ${target}${notes.length ? `  (${notes.join(", ")})` : ""}`;
  });
}

function entries(n: number): string {
  return `${n} ${n === 1 ? "entry" : "entries"}`;
}

function renderAttach(input: string, r: AttachResult): string {
  const form = r.format === "blob" ? "Proposal J blob" : "Proposal I manifest";
  const lines = [
    r.dryRun
      ? `${input}: dry run: would attach compatibilities (${form}) to ${entries(r.entries.length)}`
      : `${input}: attached compatibilities (${form}) to ${entries(r.entries.length)}`,
  ];
  for (const e of r.entries) {
    const replaced = e.replaced.length
      ? `  (replaces ${e.replaced.map((d) => d.digest).join(", ")})`
      : "";
    lines.push(`  ${e.platform}  ${e.manifest.digest}`);
    lines.push(`    compatibilities ${e.compatibilities.digest}${replaced}`);
    if (e.sets !== undefined) {
      e.sets.forEach((set, i) => {
        lines.push(`    set ${i + 1}:`);
        for (const [label, value] of Object.entries(set))
          lines.push(`      ${label}: ${JSON.stringify(value)}`);
      });
    }
  }
  lines.push(r.dryRun ? "would write, in order:" : "wrote, in order:", ...writeLines(r.writes));
  lines.push(
    `old index: ${r.oldIndex.digest}${r.wrapped ? " (a single manifest, now wrapped)" : ""}`,
  );
  lines.push(`new index: ${r.newIndex.digest}${r.dryRun ? " (not written)" : ""}`);
  return `${lines.join("\n")}\n`;
}

function renderDetach(input: string, r: DetachResult): string {
  if (!r.changed) {
    return `${input}: nothing to detach: no targeted entry has compatibilities\nindex: ${r.oldIndex.digest} (unchanged)\n`;
  }
  const lines = [
    `${input}: ${r.dryRun ? "dry run: would detach" : "detached"} compatibilities from ${entries(r.entries.filter((e) => e.removed.length > 0).length)}`,
  ];
  for (const e of r.entries) {
    if (e.removed.length === 0) continue;
    lines.push(`  ${e.platform}  ${e.manifest.digest}`);
    lines.push(`    removed ${e.removed.map((d) => d.digest).join(", ")}`);
    if (e.referrersTag)
      lines.push(
        `    ${r.dryRun ? "would update" : "updated"} referrers fallback index ${e.referrersTag}`,
      );
    if (e.keptCompatTag)
      lines.push(`    kept anchor tag ${e.keptCompatTag} (other tags may still use it)`);
  }
  if (!r.dryRun && r.writes.length) lines.push("wrote, in order:", ...writeLines(r.writes));
  lines.push(`old index: ${r.oldIndex.digest}`);
  lines.push(`new index: ${r.newIndex.digest}${r.dryRun ? " (not written)" : ""}`);
  return `${lines.join("\n")}\n`;
}
