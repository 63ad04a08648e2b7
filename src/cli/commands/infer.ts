// `ocicompat infer REF`: parsing and rendering only (ops/infer.ts does the work).
import { Command, Option } from "commander";
import { authoringYaml } from "../../compat/infer/authoring.js";
import { OcicompatError } from "../../oci/errors.js";
import { parseReference } from "../../oci/reference.js";
import { infer, type InferResult, type ScanBounds } from "../../ops/infer.js";
import { DEFAULT_TIMEOUTS, deadlineSignal } from "../deadline.js";
import { ExitCode, type ExitCode as Code } from "../exit-codes.js";
import { color } from "../output.js";
import {
  addRegistryOptions,
  openerFrom,
  withOpener,
  type RegistryFlags,
} from "../registry-options.js";
import { type CommandHelp, EXIT_ERROR, REGISTRY_ENV, withHelp } from "../help.js";

const UNITS: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** `65536`, `64k`, `4M`, `16GiB`: a byte count (powers of 1024). */
export function parseByteCount(text: string, flag: string): number {
  const m = /^\s*(\d+)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  const n = m ? Number(m[1]) * (UNITS[(m[2] ?? "").toLowerCase()] ?? 1) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new OcicompatError(
      "USAGE",
      `${flag} ${JSON.stringify(text)} is not a positive byte count (like 65536, 64k, 4M, 16G)`,
    );
  }
  return n;
}

function parseCount(text: string, flag: string): number {
  const n = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new OcicompatError("USAGE", `${flag} ${JSON.stringify(text)} is not a positive integer`);
  }
  return n;
}

export interface InferFlags {
  headBytes?: string;
  maxFiles?: string;
  maxBytes?: string;
}

/** The scan-bound flags, shared with `attach --infer`. */
export function addInferBoundOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        "--head-bytes <bytes>",
        "bytes of each file read for ELF headers and notes (default 64k)",
      ),
    )
    .addOption(new Option("--max-files <n>", "ELF files read per entry (default 50000)"))
    .addOption(
      new Option("--max-bytes <bytes>", "uncompressed layer bytes read per entry (default 64G)"),
    );
}

export function boundsFrom(flags: InferFlags): Partial<ScanBounds> {
  return {
    ...(flags.headBytes === undefined
      ? {}
      : { headBytes: parseByteCount(flags.headBytes, "--head-bytes") }),
    ...(flags.maxFiles === undefined
      ? {}
      : { maxFiles: parseCount(flags.maxFiles, "--max-files") }),
    ...(flags.maxBytes === undefined
      ? {}
      : { maxBytes: parseByteCount(flags.maxBytes, "--max-bytes") }),
  };
}

/** Error and warning findings on stderr, one line each. */
export function printFindings(result: InferResult): void {
  for (const entry of result.entries) {
    for (const f of entry.findings) {
      if (f.severity === "info") continue;
      const label = f.severity === "error" ? color.red("error") : color.yellow("warning");
      process.stderr.write(`ocicompat: ${entry.platformText}: ${label}: ${f.code}: ${f.message}\n`);
    }
  }
}

const INFER_HELP: CommandHelp = {
  examples: [
    {
      command: "ocicompat infer --platform linux/amd64 registry.example/app:1.4 > compat.yaml",
      explains: "an authoring file for the linux/amd64 entry, from its layers",
    },
    {
      command: "ocicompat infer -o json oci:app-layout:1.4",
      explains: "every entry's rules, evidence and findings",
    },
  ],
  exit: {
    0: "no finding is an error",
    1: "the image is broken (binaries of another architecture, a variant too low)",
    2: EXIT_ERROR,
  },
  env: [...REGISTRY_ENV],
};

export function inferCommand(run: (code: Code) => void): Command {
  const command = withHelp(new Command("infer"), INFER_HELP)
    .description(
      "infer compatibilities from what an image contains (ELF notes, binaries' architecture, NVIDIA_REQUIRE_*); findings about a broken image exit 1",
    )
    .argument("<ref>", "registry/repo:tag, oci:DIR[:tag|@digest] or oci-archive:FILE[:tag]")
    .addOption(new Option("--platform <os/arch[/variant]>", "only the entry of this platform"))
    .addOption(
      new Option(
        "-o, --output <format>",
        "yaml: an authoring file for attach --file; json: findings and rules of every entry",
      )
        .choices(["yaml", "json"])
        .default("yaml"),
    );
  addInferBoundOptions(command);
  return addRegistryOptions(command, DEFAULT_TIMEOUTS.transfer).action(
    async (
      input: string,
      opts: RegistryFlags & InferFlags & { platform?: string; output: "yaml" | "json" },
    ) => {
      const ref = parseReference(input);
      const bounds = boundsFrom(opts);
      const signal = deadlineSignal(opts.timeout, input);
      const opener = await openerFrom(opts);
      const result = await withOpener(opener, async () => {
        const { store, reference } = await opener.open(ref, { pull: true, signal });
        if (reference === undefined)
          throw new OcicompatError("USAGE", `${input} names no tag or digest`);
        return infer(store, reference, {
          bounds,
          signal,
          single: opts.output === "yaml",
          ...(opts.platform === undefined ? {} : { platform: opts.platform }),
        });
      });
      printFindings(result);
      if (opts.output === "json") {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      } else {
        const entry = result.entries[0];
        if (entry !== undefined) {
          process.stdout.write(
            authoringYaml(entry, {
              reference: input,
              platform: entry.platformText,
              manifest: entry.manifest.digest,
            }),
          );
        }
      }
      run(result.failed ? ExitCode.Failed : ExitCode.Ok);
    },
  );
}
