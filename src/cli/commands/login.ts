// `ocicompat login REGISTRY` and `ocicompat logout REGISTRY|--all`: parsing and messages only;
// ops/login.ts checks and stores.
import { text } from "node:stream/consumers";
import { Command, Option } from "commander";
import { login, logout, storedLogin } from "../../ops/login.js";
import { OcicompatError } from "../../oci/errors.js";
import { ExitCode, type ExitCode as Code } from "../exit-codes.js";
import { deadlineSignal, DEFAULT_TIMEOUTS } from "../deadline.js";
import { AUTH_FILE_ENV, CONNECTION_ENV, EXIT_ERROR, withHelp, type CommandHelp } from "../help.js";
import { canPrompt, promptLine } from "../prompt.js";
import { addConnectionOptions } from "../registry-options.js";

interface LoginFlags {
  registriesConf?: string | false;
  username?: string;
  password?: string;
  passwordStdin?: boolean;
  authfile?: string;
  getLogin?: boolean;
  plainHttp?: boolean;
  insecure?: boolean;
  tlsVerify?: boolean;
  caFile?: string;
  certDir?: string;
  timeout?: string;
}

const LOGIN_HELP: CommandHelp = {
  examples: [
    {
      command: "ocicompat login registry.example",
      explains: "on a terminal: asks for the user name and the password (not echoed)",
    },
    {
      command: "ocicompat login -u alice --password-stdin registry.example < password.txt",
      explains: "check the credentials with GET /v2/, then store them where podman does (0600)",
    },
    {
      command: "ocicompat login -u alice --password-stdin registry.example/team",
      explains: "credentials for one namespace only",
    },
    {
      command: "ocicompat login --get-login registry.example",
      explains: "print the user name stored for the registry",
    },
  ],
  exit: { 0: "logged in (or, with --get-login, a user name is stored)", 2: EXIT_ERROR },
  env: [...AUTH_FILE_ENV, ...CONNECTION_ENV],
};

const LOGOUT_HELP: CommandHelp = {
  examples: [
    { command: "ocicompat logout registry.example", explains: "forget one registry's credentials" },
    {
      command: "ocicompat logout --all",
      explains: "forget every registry's (docker's config.json is left alone)",
    },
  ],
  exit: { 0: "removed", 2: `${EXIT_ERROR}; also when REGISTRY was not logged in` },
  env: AUTH_FILE_ENV,
};

/** The user name: --username, else asked on a terminal (not when the password comes on stdin). */
async function usernameFrom(flags: LoginFlags): Promise<string> {
  if (flags.username !== undefined && flags.username !== "") return flags.username;
  if (flags.passwordStdin) {
    throw new OcicompatError("USAGE", "--password-stdin needs --username");
  }
  if (!canPrompt()) {
    throw new OcicompatError("USAGE", "login needs --username (on a terminal, login asks for it)");
  }
  const name = await promptLine("Username:");
  if (name === "") throw new OcicompatError("USAGE", "login needs a user name");
  return name;
}

async function passwordFrom(flags: LoginFlags): Promise<string> {
  if (flags.password !== undefined && flags.passwordStdin) {
    throw new OcicompatError("USAGE", "give --password or --password-stdin, not both");
  }
  if (flags.passwordStdin) return (await text(process.stdin)).replace(/\r?\n$/, "");
  if (flags.password !== undefined) {
    process.stderr.write(
      "ocicompat: warning: --password on the command line is visible to other users (ps, shell history); use --password-stdin\n",
    );
    return flags.password;
  }
  if (!canPrompt()) {
    throw new OcicompatError(
      "USAGE",
      "login needs the password: --password-stdin reads it from standard input (on a terminal, login asks for it)",
    );
  }
  return promptLine("Password:", { silent: true });
}

export function loginCommand(run: (code: Code) => void): Command {
  const command = withHelp(new Command("login"), LOGIN_HELP)
    .description(
      "check credentials against a registry and store them where podman does ($XDG_RUNTIME_DIR/containers/auth.json)",
    )
    .argument("<registry>", "HOST[:PORT], or HOST[:PORT]/NAMESPACE for credentials of a namespace")
    .addOption(
      new Option("-u, --username <name>", "the user name (asked on a terminal if not given)"),
    )
    .addOption(
      new Option(
        "-p, --password <password>",
        "the password (visible in ps: prefer --password-stdin)",
      ),
    )
    .addOption(new Option("--password-stdin", "read the password from standard input"))
    .addOption(
      new Option(
        "--authfile <file>",
        "the auth file to write (default: $REGISTRY_AUTH_FILE, else podman's)",
      ),
    )
    .addOption(
      new Option("--get-login", "print the user name stored for REGISTRY, and change nothing"),
    );
  addRegistriesConfOptions(command);
  return addConnectionOptions(command, DEFAULT_TIMEOUTS.inspect).action(
    async (registry: string, flags: LoginFlags) => {
      const file = {
        ...(flags.authfile === undefined ? {} : { authFile: flags.authfile }),
        ...(flags.registriesConf === undefined ? {} : { registriesConf: flags.registriesConf }),
      };
      if (flags.getLogin) {
        process.stdout.write(`${await storedLogin({ registry, ...file })}\n`);
        run(ExitCode.Ok);
        return;
      }
      const username = await usernameFrom(flags);
      const password = await passwordFrom(flags);
      const signal = deadlineSignal(flags.timeout, registry);
      const result = await login({
        registry,
        username,
        password,
        ...file,
        connection: {
          ...(flags.plainHttp === undefined ? {} : { plainHttp: flags.plainHttp }),
          ...(flags.insecure ? { insecure: true } : {}),
          ...(flags.tlsVerify === undefined ? {} : { tlsVerify: flags.tlsVerify }),
          ...(flags.caFile ? { caFile: flags.caFile } : {}),
          ...(flags.certDir ? { certDir: flags.certDir } : {}),
        },
        ...(signal ? { signal } : {}),
      });
      process.stdout.write(`Login Succeeded! (${result.key} in ${result.storedIn})\n`);
      run(ExitCode.Ok);
    },
  );
}

/** registries.conf's credential-helpers say where login stores and logout removes credentials. */
function addRegistriesConfOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        "--registries-conf <file>",
        "the registries.conf whose credential-helpers say where credentials go (default: $CONTAINERS_REGISTRIES_CONF, else podman's files)",
      ),
    )
    .addOption(
      new Option("--no-registries-conf", "ignore registries.conf: only the auth file is used"),
    );
}

export function logoutCommand(run: (code: Code) => void): Command {
  const command = withHelp(new Command("logout"), LOGOUT_HELP)
    .description("remove the credentials that login stored for a registry (or all of them)")
    .argument("[registry]", "HOST[:PORT] or HOST[:PORT]/NAMESPACE, as given to login")
    .addOption(new Option("--all", "remove the credentials of every registry in the auth file"))
    .addOption(
      new Option(
        "--authfile <file>",
        "the auth file to edit (default: $REGISTRY_AUTH_FILE, else podman's)",
      ),
    );
  return addRegistriesConfOptions(command).action(
    async (registry: string | undefined, flags: LogoutFlags) => {
      if (flags.all && registry !== undefined) {
        throw new OcicompatError("USAGE", "give a REGISTRY or --all, not both");
      }
      const result = await logout({
        ...(registry === undefined ? {} : { registry }),
        ...(flags.all ? { all: true } : {}),
        ...(flags.authfile === undefined ? {} : { authFile: flags.authfile }),
        ...(flags.registriesConf === undefined ? {} : { registriesConf: flags.registriesConf }),
      });
      const from = result.from.join(", ");
      process.stdout.write(
        flags.all
          ? `Removed login credentials for all registries (${result.removed.length} in ${from})\n`
          : `Removed login credentials for ${result.removed.join(", ")} (${from})\n`,
      );
      run(ExitCode.Ok);
    },
  );
}

interface LogoutFlags {
  all?: boolean;
  authfile?: string;
  registriesConf?: string | false;
}
