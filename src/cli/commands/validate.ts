// `ocicompat validate FILE...`: argument parsing and rendering only; the work is in ops/.
import { Command, Option } from "commander";
import { describeKind, DocumentKinds, type DocumentKind } from "../../compat/document.js";
import type { ValidationIssue } from "../../oci/errors.js";
import { loadCatalog } from "../../ops/load-catalog.js";
import { validateFiles, type FileValidation } from "../../ops/validate-files.js";
import { exitCodeForVerdicts, type ExitCode, type Verdict } from "../exit-codes.js";
import { color, labelsOption, outputOption, renderData, type OutputFormat } from "../output.js";
import { type CommandHelp, EXIT_ERROR, LABEL_PACK_ENV, withHelp } from "../help.js";

const VALIDATE_HELP: CommandHelp = {
  examples: [
    {
      command: "ocicompat validate compat.yaml",
      explains: "an authoring file, strictly, with every problem's JSON path",
    },
    {
      command: "ocicompat validate --strict --kind index index.json manifest.json",
      explains: "fail on warnings too; read both files as indexes",
    },
  ],
  exit: {
    0: "every file is valid (warnings allowed, unless --strict)",
    1: "some file is invalid",
    2: `${EXIT_ERROR}; also a file that cannot be read`,
  },
  env: [...LABEL_PACK_ENV],
};

export function validateCommand(run: (code: ExitCode) => void): Command {
  return withHelp(new Command("validate"), VALIDATE_HELP)
    .description(
      "check OCI documents and compatibilities files: index, manifest, config, compatibilities (authoring YAML/JSON or Proposal J blob), oci-layout, NFD image-compatibility spec",
    )
    .argument("<file...>", "files to validate")
    .addOption(
      new Option("--kind <kind>", "treat every file as this kind instead of detecting it").choices(
        DocumentKinds,
      ),
    )
    .option(
      "--strict",
      "fail on warnings too: deviations from the proposals' text that readers accept (docs/interop.md)",
    )
    .addOption(labelsOption())
    .addOption(outputOption())
    .action(
      async (
        files: string[],
        opts: { kind?: DocumentKind; strict?: boolean; labels: string[]; output: OutputFormat },
      ) => {
        const catalog = await loadCatalog(opts.labels);
        const results = await validateFiles(files, {
          catalog,
          ...(opts.kind ? { kind: opts.kind } : {}),
          ...(opts.strict ? { strict: true } : {}),
        });
        if (opts.output === "table") process.stdout.write(renderHuman(results));
        else process.stdout.write(await renderData(opts.output, { files: results }));
        run(exitCodeForVerdicts(results.map(verdictOf)));
      },
    );
}

function verdictOf(r: FileValidation): Verdict {
  return r.verdict === "valid" ? "ok" : r.verdict === "invalid" ? "failed" : "error";
}

function renderHuman(results: readonly FileValidation[]): string {
  const lines: string[] = [];
  for (const r of results) {
    if (r.failure) {
      const label = r.verdict === "unreadable" ? color.red("error") : color.red("invalid");
      lines.push(`${r.file}: ${label}: ${r.failure.message}`);
      continue;
    }
    for (const e of r.errors) lines.push(`${r.file}: ${issueText(e)}`);
    for (const w of r.warnings)
      lines.push(`${r.file}: ${color.yellow("warning")}: ${issueText(w)}`);
    const counts = [plural(r.errors.length, "error"), plural(r.warnings.length, "warning")].filter(
      Boolean,
    );
    const status = r.verdict === "valid" ? color.green("valid") : color.red("invalid");
    lines.push(
      `${r.file}: ${status} ${r.kind ? describeKind(r.kind) : "document"}${counts.length ? ` (${counts.join(", ")})` : ""}`,
    );
  }
  return lines.map((l) => `${l}\n`).join("");
}

function issueText(i: ValidationIssue): string {
  return i.column === undefined
    ? `${i.path}: ${i.message}`
    : `${i.path}: column ${i.column}: ${i.message}`;
}

function plural(n: number, word: string): string {
  return n === 0 ? "" : `${n} ${word}${n === 1 ? "" : "s"}`;
}
