// The CLI entry: parse arguments, run one command, map the outcome to an exit status.
import { Command, CommanderError } from "commander";
import { VERSION } from "../version.js";
import { describeError, ExitCode, exitCodeForError } from "./exit-codes.js";
import { PROGRAM_HELP, withHelp } from "./help.js";
import { skopeoBooleanFlags, skopeoGlobalFlags } from "./skopeo-booleans.js";

type CommandFactory = (run: (code: number) => void) => Command;

// Each command's module is loaded only when that command runs (or for help): loading them all
// pulls in the HTTP client and costs every invocation a few hundred milliseconds.
const COMMANDS: readonly (readonly [name: string, load: () => Promise<CommandFactory>])[] = [
  ["check", async () => (await import("./commands/check.js")).checkCommand],
  ["select", async () => (await import("./commands/select.js")).selectCommand],
  ["attach", async () => (await import("./commands/attach.js")).attachCommand],
  ["detach", async () => (await import("./commands/attach.js")).detachCommand],
  ["discover", async () => (await import("./commands/discover.js")).discoverCommand],
  ["inspect", async () => (await import("./commands/inspect.js")).inspectCommand],
  ["ls", async () => (await import("./commands/inspect.js")).lsCommand],
  ["copy", async () => (await import("./commands/copy.js")).copyCommand],
  ["verify", async () => (await import("./commands/verify.js")).verifyCommand],
  ["protect", async () => (await import("./commands/verify.js")).protectCommand],
  ["gc", async () => (await import("./commands/verify.js")).gcCommand],
  ["validate", async () => (await import("./commands/validate.js")).validateCommand],
  ["convert", async () => (await import("./commands/convert.js")).convertCommand],
  ["labels", async () => (await import("./commands/labels.js")).labelsCommand],
  ["explain", async () => (await import("./commands/labels.js")).explainCommand],
  ["infer", async () => (await import("./commands/infer.js")).inferCommand],
  ["fleet", async () => (await import("./commands/fleet.js")).fleetCommand],
  ["affinity", async () => (await import("./commands/affinity.js")).affinityCommand],
  ["webhook", async () => (await import("./commands/webhook.js")).webhookCommand],
  ["mirror", async () => (await import("./commands/mirror.js")).mirrorCommand],
  ["login", async () => (await import("./commands/login.js")).loginCommand],
  ["logout", async () => (await import("./commands/login.js")).logoutCommand],
];

export async function main(given: readonly string[]): Promise<number> {
  const argv = skopeoGlobalFlags(given);
  let exitCode: number = ExitCode.Ok;
  const program = withHelp(
    new Command("ocicompat")
      .description("OCI image compatibility: which image variant fits which node")
      .version(VERSION),
    PROGRAM_HELP,
  );
  const setExit = (code: number): void => {
    exitCode = code;
  };
  const wanted = COMMANDS.filter(([name]) => name === argv[0]);
  const versionOnly = argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V");
  for (const [, load] of versionOnly ? [] : wanted.length > 0 ? wanted : COMMANDS) {
    program.addCommand((await load())(setExit));
  }
  for (const command of program.commands) command.exitOverride();

  try {
    await program.parseAsync(skopeoBooleanFlags(argv), { from: "user" });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and --version exit 0; every usage mistake is exit 2, already explained by commander.
      return err.exitCode === 0 ? ExitCode.Ok : ExitCode.Error;
    }
    for (const line of describeError(err)) process.stderr.write(`ocicompat: ${line}\n`);
    if (process.env["OCICOMPAT_DEBUG"] && err instanceof Error && err.stack) {
      const { mappedStack } = await import("./debug-stack.js");
      process.stderr.write(`${mappedStack(err.stack)}\n`);
    }
    return exitCodeForError(err);
  }
}
