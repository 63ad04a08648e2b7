// The CLI entry: parse arguments, run one command, map the outcome to an exit status.
import { Command, CommanderError } from "commander";
import { VERSION } from "../version.js";
import { attachCommand, detachCommand } from "./commands/attach.js";
import { checkCommand } from "./commands/check.js";
import { discoverCommand } from "./commands/discover.js";
import { inspectCommand, lsCommand } from "./commands/inspect.js";
import { explainCommand, labelsCommand } from "./commands/labels.js";
import { selectCommand } from "./commands/select.js";
import { validateCommand } from "./commands/validate.js";
import { gcCommand, protectCommand, verifyCommand } from "./commands/verify.js";
import { describeError, ExitCode, exitCodeForError } from "./exit-codes.js";

export async function main(argv: readonly string[]): Promise<number> {
  let exitCode: number = ExitCode.Ok;
  const program = new Command("ocifit")
    .description("OCI image compatibility: which image variant fits which node")
    .version(VERSION)
    .showHelpAfterError("(run ocifit help for usage)")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  const setExit = (code: number): void => {
    exitCode = code;
  };
  program.addCommand(validateCommand(setExit));
  program.addCommand(checkCommand(setExit));
  program.addCommand(selectCommand(setExit));
  program.addCommand(discoverCommand(setExit));
  program.addCommand(labelsCommand(setExit));
  program.addCommand(explainCommand(setExit));
  program.addCommand(inspectCommand(setExit));
  program.addCommand(lsCommand(setExit));
  program.addCommand(attachCommand(setExit));
  program.addCommand(detachCommand(setExit));
  program.addCommand(verifyCommand(setExit));
  program.addCommand(protectCommand(setExit));
  program.addCommand(gcCommand(setExit));
  for (const command of program.commands) command.exitOverride();

  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and --version exit 0; every usage mistake is exit 2, already explained by commander.
      return err.exitCode === 0 ? ExitCode.Ok : ExitCode.Error;
    }
    for (const line of describeError(err)) process.stderr.write(`ocifit: ${line}\n`);
    if (process.env["OCIFIT_DEBUG"] && err instanceof Error && err.stack) {
      process.stderr.write(`${err.stack}\n`);
    }
    return exitCodeForError(err);
  }
}
