// `ocicompat convert FILE`: parsing and rendering only; the work is in ops/convert.ts.
import { Command, Option } from "commander";
import { loadCatalog } from "../../ops/load-catalog.js";
import { convertFile } from "../../ops/convert.js";
import { normalizePlatform } from "../../oci/platform.js";
import { ExitCode, type ExitCode as Code } from "../exit-codes.js";
import { color, labelsOption } from "../output.js";
import { toYaml } from "../yaml-output.js";
import { type CommandHelp, EXIT_ERROR, LABEL_PACK_ENV, withHelp } from "../help.js";

const CONVERT_HELP: CommandHelp = {
  examples: [
    {
      command: "ocicompat convert compat.yaml > nfd-spec.yaml",
      explains: "an ocicompat file as an NFD image-compatibility spec",
    },
    {
      command: "ocicompat convert --json nfd-spec.yaml",
      explains: "an NFD spec as an ocicompat authoring file, in JSON",
    },
  ],
  exit: {
    0: "everything was converted",
    1: "something could not be expressed (left out, and listed on stderr)",
    2: `${EXIT_ERROR}; also an invalid input`,
  },
  env: [...LABEL_PACK_ENV],
};

export function convertCommand(run: (code: Code) => void): Command {
  return withHelp(new Command("convert"), CONVERT_HELP)
    .description(
      "convert an NFD image-compatibility spec to an ocicompat authoring file, or ocicompat compatibilities to an NFD spec; exit 1 when something cannot be expressed in the target",
    )
    .argument(
      "<file>",
      "an NFD spec (YAML/JSON), an authoring file, a Proposal J blob or a Proposal I config",
    )
    .addOption(new Option("--json", "write the converted document as JSON instead of YAML"))
    .addOption(
      new Option(
        "--arch <architecture>",
        "to NFD: the node architecture the rules are for, which decides NFD's CPU flag names (AESNI on amd64, AES on arm64)",
      ).default("amd64"),
    )
    .addOption(labelsOption())
    .action(async (file: string, opts: { json?: boolean; arch: string; labels: string[] }) => {
      const result = await convertFile(file, {
        catalog: await loadCatalog(opts.labels),
        architecture: normalizePlatform({ os: "linux", architecture: opts.arch }).architecture,
      });
      for (const w of result.warnings)
        process.stderr.write(
          `ocicompat: ${color.yellow("warning")}: ${file}: ${w.path}: ${w.message}\n`,
        );
      for (const l of result.losses)
        process.stderr.write(
          `ocicompat: ${color.red("cannot express")} in ${result.to}: ${file}: ${l.path}: ${l.message}\n`,
        );
      process.stdout.write(
        opts.json ? `${JSON.stringify(result.document, null, 2)}\n` : toYaml(result.document),
      );
      run(result.losses.length > 0 ? ExitCode.Failed : ExitCode.Ok);
    });
}
