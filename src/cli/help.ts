// What every command's --help ends with (examples, exit status, environment), and how commander's
// own parse errors are reported: in the CLI's one error format, `ocicompat: SUBJECT: message`.
// Each command declares its part with withHelp(); the sections are rendered here, so they look the
// same everywhere.
import type { Command } from "commander";

export interface HelpExample {
  /** A whole command line, starting with `ocicompat`; a pipe or redirection may follow it. */
  command: string;
  /** What it does, in a few words. */
  explains: string;
}

export interface EnvVar {
  name: string;
  meaning: string;
}

/** What each exit status means for this command; a status the command never uses is left out. */
export interface ExitStatuses {
  0: string;
  1?: string;
  2?: string;
}

export interface CommandHelp {
  examples: readonly HelpExample[];
  exit: ExitStatuses;
  /** Variables the command reads; COMMON_ENV's are added to all. */
  env: readonly EnvVar[];
}

/** Read by every command. */
export const COMMON_ENV: readonly EnvVar[] = [
  { name: "NO_COLOR", meaning: "set: no colour in the output" },
  { name: "FORCE_COLOR", meaning: "set: colour even when stdout is not a terminal" },
  { name: "OCICOMPAT_DEBUG", meaning: "set: add the stack trace of an internal error" },
  {
    name: "OCICOMPAT_CODE_CACHE_DIR",
    meaning: "where V8's compiled code is kept between runs (empty: not kept)",
  },
];

/** Commands that contact a registry: which proxy, as Go's container tools read it. */
export const PROXY_ENV: readonly EnvVar[] = [
  {
    name: "HTTPS_PROXY",
    meaning: "the proxy for https registries (or https_proxy; loopback never)",
  },
  { name: "HTTP_PROXY", meaning: "the proxy for plain-HTTP registries (or http_proxy)" },
  { name: "NO_PROXY", meaning: "hosts, domains and CIDR ranges reached directly (or no_proxy)" },
];

/** Commands that contact a registry: TLS material and proxies. */
export const CONNECTION_ENV: readonly EnvVar[] = [
  {
    name: "SSL_CERT_FILE",
    meaning:
      "the system's CA list (else the distribution's bundle), tried when Node's does not vouch",
  },
  { name: "SSL_CERT_DIR", meaning: "directories of more system CA files (colon-separated)" },
  {
    name: "HOME",
    meaning:
      "TLS material: $HOME/.config/containers/certs.d/HOST:PORT, else /etc/containers/certs.d, /etc/docker/certs.d",
  },
  ...PROXY_ENV,
];

/** Commands that read or write a registry. */
const REGISTRIES_CONF_ENV: EnvVar = {
  name: "CONTAINERS_REGISTRIES_CONF",
  meaning:
    "the registries.conf to read (as --registries-conf); else $HOME/.config/containers/registries.conf, else /etc/containers/registries.conf, with their .d drop-ins",
};

export const REGISTRY_ENV: readonly EnvVar[] = [
  { name: "OCICOMPAT_CREDS", meaning: "USER:PASSWORD, as --creds (not visible in ps)" },
  {
    name: "OCICOMPAT_REGISTRY_TOKEN",
    meaning: "a bearer token, as --registry-token (not visible in ps)",
  },
  {
    name: "REGISTRY_AUTH_FILE",
    meaning: "the auth file to read instead of the default list (as --authfile)",
  },
  { name: "XDG_RUNTIME_DIR", meaning: "$XDG_RUNTIME_DIR/containers/auth.json is read first" },
  { name: "XDG_CONFIG_HOME", meaning: "then $XDG_CONFIG_HOME/containers/auth.json (~/.config)" },
  {
    name: "DOCKER_CONFIG",
    meaning: "then $DOCKER_CONFIG/config.json (else ~/.docker/config.json), then ~/.dockercfg",
  },
  REGISTRIES_CONF_ENV,
  ...CONNECTION_ENV,
];

/** The auth file login and logout edit, and the registries.conf whose credential-helpers apply. */
export const AUTH_FILE_ENV: readonly EnvVar[] = [
  REGISTRIES_CONF_ENV,
  {
    name: "REGISTRY_AUTH_FILE",
    meaning: "the auth file to use instead of $XDG_RUNTIME_DIR/containers/auth.json",
  },
  {
    name: "XDG_RUNTIME_DIR",
    meaning: "where the default auth file lives (/run/containers/UID without it)",
  },
];

/** Commands that read digest-addressed content through the on-disk cache. */
export const CACHE_ENV: readonly EnvVar[] = [
  {
    name: "OCICOMPAT_CACHE_DIR",
    meaning: "the content cache (default $XDG_CACHE_HOME/ocicompat, else ~/.cache/ocicompat)",
  },
];

/** Commands that load the catalog: label packs in the config directory are always loaded. */
export const LABEL_PACK_ENV: readonly EnvVar[] = [
  {
    name: "OCICOMPAT_CONFIG_DIR",
    meaning:
      "label packs loaded on every run (default $XDG_CONFIG_HOME/ocicompat, else ~/.config/ocicompat)",
  },
];

/** Commands that discover this host when no profile is given. */
export const DISCOVERY_ENV: readonly EnvVar[] = [
  { name: "OCICOMPAT_ROOT", meaning: "discover the root file system mounted here instead of /" },
];

/** The default meaning of exit status 2, shared by every command. */
export const EXIT_ERROR = "error: usage, I/O, registry or authentication (said on stderr)";

/** The exit statuses of the program as a whole (`ocicompat --help`). */
export const PROGRAM_EXIT: ExitStatuses = {
  0: "ok: valid, compatible, done",
  1: "the check failed: invalid document, not compatible, something dangles",
  2: EXIT_ERROR,
};

/** The sections appended to a command's --help. */
export function renderHelpSections(help: CommandHelp): string {
  const lines = ["", "Examples:"];
  for (const e of help.examples) lines.push(`  ${e.command}`, `      ${e.explains}`);
  lines.push("", "Exit status:");
  for (const code of [0, 1, 2] as const) {
    const meaning = help.exit[code];
    if (meaning !== undefined) lines.push(`  ${code}  ${meaning}`);
  }
  const env = [...help.env, ...COMMON_ENV];
  const width = Math.max(...env.map((v) => v.name.length));
  lines.push("", "Environment:");
  for (const v of env) lines.push(`  ${v.name.padEnd(width)}  ${v.meaning}`);
  return lines.join("\n");
}

// Commands keep their declaration where commander cannot lose it, for tests that walk them.
const DECLARED = new WeakMap<Command, CommandHelp>();

/** What a command declared with withHelp, or undefined when it declared nothing. */
export function declaredHelp(command: Command): CommandHelp | undefined {
  return DECLARED.get(command);
}

/**
 * Appends the examples, exit statuses and environment to `command`'s --help, and reports its
 * parse errors in the CLI's format. Returns `command`.
 */
export function withHelp(command: Command, help: CommandHelp): Command {
  DECLARED.set(command, help);
  return reportParseErrors(command.addHelpText("after", renderHelpSections(help)));
}

/**
 * commander's own errors (unknown option, missing argument, invalid choice, too many arguments)
 * as one line, `ocicompat: COMMAND: message (see ocicompat COMMAND --help)`, and thrown instead of
 * exiting, so that main maps them to exit 2 like every other usage error.
 */
export function reportParseErrors(command: Command): Command {
  return command.exitOverride().configureOutput({
    writeErr: (s) => process.stderr.write(s),
    outputError: (message, write) => write(formatParseError(command, message)),
  });
}

/** commander's "error: unknown option '--x'\n" as the CLI's one-line error. */
export function formatParseError(command: Command, message: string): string {
  // commander may add a second line ("(Did you mean logout?)"): the CLI's errors are one line.
  const text = message
    .trim()
    .replace(/\s*\n\s*/g, " ")
    .replace(/^error: /, "")
    .replace(/\.$/, "");
  const names: string[] = [];
  for (let c: Command | null = command; c !== null; c = c.parent) names.unshift(c.name());
  // The program is "ocicompat" already; a subcommand is the subject of its errors.
  const path = names.filter((name) => name !== "ocicompat").join(" ");
  const subject = path === "" ? "" : `${path}: `;
  return `ocicompat: ${subject}${text} (see ocicompat ${path === "" ? "" : `${path} `}--help)\n`;
}

/** `ocicompat --help`: the commands' examples are under each command's own --help. */
export const PROGRAM_HELP: CommandHelp = {
  examples: [
    {
      command: "ocicompat select registry.example/app:1.4",
      explains: "the digest of the variant of the image that fits this host",
    },
    {
      command: "ocicompat check docker://registry.example/app:1.4",
      explains: "every entry, chosen or excluded, and why",
    },
    {
      command: "ocicompat attach registry.example/app:1.4 -f compat.yaml --platform linux/amd64",
      explains: "add compatibilities to an entry without rebuilding the image",
    },
    {
      command: "ocicompat copy registry.example/app:1.4 oci:app-layout",
      explains: "copy the image with its compatibilities into an OCI layout",
    },
  ],
  exit: PROGRAM_EXIT,
  env: [...REGISTRY_ENV, ...CACHE_ENV, ...LABEL_PACK_ENV, ...DISCOVERY_ENV],
};
