// `ocicompat affinity REF...`: parsing and rendering only; the work is in ops/affinity.ts.
import { Command, Option } from "commander";
import type { AffinityFinding } from "../../compat/affinity/index.js";
import { TooManyTerms } from "../../compat/affinity/index.js";
import { OcicompatError } from "../../oci/errors.js";
import { affinityFor } from "../../ops/affinity.js";
import { loadCatalog } from "../../ops/load-catalog.js";
import { deadlineSignal, DEFAULT_TIMEOUTS } from "../deadline.js";
import { ExitCode } from "../exit-codes.js";
import { color, labelsOption, renderData } from "../output.js";
import {
  addRegistryOptions,
  openerFrom,
  withOpener,
  type RegistryFlags,
} from "../registry-options.js";
import {
  CACHE_ENV,
  type CommandHelp,
  EXIT_ERROR,
  LABEL_PACK_ENV,
  REGISTRY_ENV,
  withHelp,
} from "../help.js";

interface AffinityFlags extends RegistryFlags {
  output: "yaml" | "json";
  strict?: boolean;
  labels: string[];
}

/** One line per requirement the labels do not say exactly. */
export function findingLine(f: AffinityFinding): string {
  const where = `${f.reference} entry ${f.entry}${f.set === undefined ? "" : ` set ${f.set}`}`;
  const what = f.fidelity === "approximate" ? "only approximately" : "not at all";
  return `${where}: ${f.label}: ${JSON.stringify(f.value)}: node labels say it ${what}: ${f.reason}`;
}

const AFFINITY_HELP: CommandHelp = {
  examples: [
    {
      command: "ocicompat affinity registry.example/hpc/app:2.1",
      explains: "a nodeAffinity to paste under a pod spec's affinity:",
    },
    {
      command:
        "ocicompat affinity --strict -o json registry.example/app:1 registry.example/sidecar:2",
      explains: "for two images of one pod; exit 1 when labels cannot say a requirement",
    },
  ],
  exit: {
    0: "printed",
    1: "with --strict, a requirement node labels cannot say exactly; or no node labels satisfy every image",
    2: EXIT_ERROR,
  },
  env: [...REGISTRY_ENV, ...CACHE_ENV, ...LABEL_PACK_ENV],
};

export function affinityCommand(run: (code: ExitCode) => void): Command {
  const command = withHelp(new Command("affinity"), AFFINITY_HELP)
    .description(
      "print a Kubernetes nodeAffinity (over NFD node labels) under which some entry of every image fits",
    )
    .argument("<ref...>", "images that run together in one pod")
    .addOption(
      new Option("-o, --output <format>", "output format")
        .choices(["yaml", "json"])
        .default("yaml"),
    )
    .addOption(
      new Option(
        "--strict",
        "fail (exit 1) when node labels cannot say a requirement exactly, instead of warning",
      ),
    )
    .addOption(labelsOption());
  return addRegistryOptions(command, DEFAULT_TIMEOUTS.select, { http2: true }).action(
    async (refs: string[], flags: AffinityFlags) => {
      const signal = deadlineSignal(flags.timeout, refs.join(" "));
      const catalog = await loadCatalog(flags.labels);
      const opener = await openerFrom(flags, { cache: true });
      const result = await withOpener(opener, () =>
        affinityFor({ references: refs, opener, catalog, ...(signal ? { signal } : {}) }),
      ).catch((err: unknown) => {
        if (err instanceof TooManyTerms) throw new OcicompatError("UNSUPPORTED", err.message);
        throw err;
      });
      const label = flags.strict ? color.red("error") : color.yellow("warning");
      for (const f of result.findings) {
        process.stderr.write(`ocicompat: ${label}: ${findingLine(f)}\n`);
      }
      if (result.unsatisfiable) {
        process.stderr.write(
          `ocicompat: ${color.red("error")}: no node labels can satisfy every image (an image whose entries can all never pass, or images that exclude each other)\n`,
        );
      }
      // An unsatisfiable affinity would be an empty nodeSelectorTerms, which Kubernetes refuses.
      if (!result.unsatisfiable) {
        process.stdout.write(await renderData(flags.output, { nodeAffinity: result.nodeAffinity }));
      }
      const failed = result.unsatisfiable || (flags.strict === true && result.findings.length > 0);
      run(failed ? ExitCode.Failed : ExitCode.Ok);
    },
  );
}
