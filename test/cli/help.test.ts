// Every command's --help ends with examples, exit statuses and environment variables, and every
// example parses with the command's own options; commander's parse errors use the CLI's format.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import type { Command } from "commander";
import { declaredHelp, PROGRAM_HELP, type HelpExample } from "../../src/cli/help.js";
import { runCli } from "./run-cli.js";

type Factory = (run: (code: number) => void) => Command;

/** Every command factory of src/cli/commands, by command name: each module's `...Command` exports. */
async function commandFactories(): Promise<Map<string, Factory>> {
  const factories = new Map<string, Factory>();
  const dir = new URL("../../src/cli/commands/", import.meta.url);
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
    const module = (await import(pathToFileURL(`${dir.pathname}${file}`).href)) as Record<
      string,
      unknown
    >;
    for (const [name, value] of Object.entries(module)) {
      if (!name.endsWith("Command") || typeof value !== "function") continue;
      const factory = value as Factory;
      factories.set(factory(() => undefined).name(), factory);
    }
  }
  return factories;
}

/** The commands `ocicompat --help` lists. */
function listedCommands(): string[] {
  const r = runCli(["--help"]);
  assert.equal(r.status, 0, r.stderr);
  const section = r.stdout.split(/^Commands:$/m)[1]?.split(/^\S/m)[0] ?? "";
  return [...section.matchAll(/^ {2}([a-z-]+)\b/gm)]
    .map((m) => m[1] ?? "")
    .filter((name) => name !== "help");
}

/** The arguments of the `ocicompat ...` part of an example line, quotes removed. */
function exampleArgs(example: HelpExample): string[] {
  const text = /ocicompat((?:\s+(?:'[^']*'|"[^"]*"|[^\s|<>;)'"]+))*)/.exec(example.command)?.[1];
  assert.ok(text !== undefined, `no ocicompat command in ${example.command}`);
  return [...text.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? "");
}

/** Parses an example with its command's options and arguments, without running it. */
async function parseExample(factories: Map<string, Factory>, args: string[]): Promise<void> {
  const [name, ...rest] = args;
  const factory = factories.get(name ?? "");
  assert.ok(factory, `unknown command in example: ${args.join(" ")}`);
  let errors = "";
  const command = factory(() => undefined)
    .configureOutput({ writeErr: (s) => (errors += s), writeOut: () => undefined })
    .action(() => undefined);
  try {
    await command.parseAsync(rest, { from: "user" });
  } catch (err) {
    assert.fail(`ocicompat ${args.join(" ")}: ${errors || String(err)}`);
  }
}

describe("help sections", () => {
  test("every command ocicompat --help lists declares its help, and no command is left out", async () => {
    const factories = await commandFactories();
    const listed = listedCommands();
    assert.ok(listed.length >= 20, listed.join(" "));
    assert.deepEqual([...factories.keys()].sort(), [...listed].sort());
    for (const [name, factory] of factories) {
      const help = declaredHelp(factory(() => undefined));
      assert.ok(help, `${name} declares no help`);
      assert.ok(help.examples.length >= 2 || name === "gc" || name === "ls", name);
      assert.ok(help.exit[0] && help.exit[2], `${name}: exit statuses 0 and 2`);
    }
  });

  test("every command's --help shows examples of itself, its exit statuses and its environment", () => {
    for (const name of listedCommands()) {
      const r = runCli([name, "--help"]);
      assert.equal(r.status, 0, `${name}: ${r.stderr}`);
      const after = r.stdout.split(/^Examples:$/m)[1];
      assert.ok(after !== undefined, `${name} --help has no Examples section`);
      assert.match(after, new RegExp(`^ {2}.*ocicompat ${name}\\b`, "m"), name);
      assert.match(after, /^Exit status:\n {2}0 {2}\S/m, name);
      assert.match(after, /^ {2}2 {2}error: usage, I\/O/m, name);
      assert.match(after, /^Environment:\n(?: {2}[A-Z_]+ +\S.*\n)*? {2}NO_COLOR +\S/m, name);
    }
  });

  test("registry commands name DOCKER_CONFIG, and select and check the cache and OCICOMPAT_ROOT", () => {
    for (const name of ["copy", "inspect", "ls", "select", "check", "verify", "attach"]) {
      const out = runCli([name, "--help"]).stdout;
      assert.match(out, /^ {2}DOCKER_CONFIG +then/m, name);
      assert.match(out, /^ {2}REGISTRY_AUTH_FILE +/m, name);
    }
    for (const name of ["select", "check"]) {
      const out = runCli([name, "--help"]).stdout;
      assert.match(out, /^ {2}OCICOMPAT_CACHE_DIR /m, name);
      assert.match(out, /^ {2}OCICOMPAT_ROOT /m, name);
    }
  });

  test("ocicompat --help ends with examples, the exit statuses and the environment", () => {
    const out = runCli(["--help"]).stdout;
    assert.match(out, /^Examples:\n {2}ocicompat select /m);
    assert.match(out, /^Exit status:\n {2}0 .*\n {2}1 .*\n {2}2 /m);
    assert.match(out, /^Environment:\n/m);
  });

  test("every example, the program's included, parses with its command's options", async () => {
    const factories = await commandFactories();
    const examples = [...factories.values()].flatMap(
      (factory) => declaredHelp(factory(() => undefined))?.examples ?? [],
    );
    for (const example of [...examples, ...PROGRAM_HELP.examples]) {
      const args = exampleArgs(example);
      await parseExample(factories, args);
    }
    assert.ok(examples.length >= 40, `${examples.length} examples`);
  });

  test("the example check refuses an example with an unknown option or a bad choice", async () => {
    const factories = await commandFactories();
    for (const bad of ["ocicompat copy --bogus a b", "ocicompat select -o xml app:1"]) {
      await assert.rejects(
        parseExample(factories, exampleArgs({ command: bad, explains: "" })),
        /ocicompat (copy|select) /,
      );
    }
  });

  test("an example line with a pipe or $(...) yields only the ocicompat arguments", () => {
    assert.deepEqual(
      exampleArgs({
        command: 'docker pull "reg/app@$(ocicompat select --tags a,b reg/app:1)"',
        explains: "",
      }),
      ["select", "--tags", "a,b", "reg/app:1"],
    );
    assert.deepEqual(
      exampleArgs({ command: "ocicompat webhook --allow-registry '*' > log", explains: "" }),
      ["webhook", "--allow-registry", "*"],
    );
  });
});

describe("commander's parse errors use `ocicompat: SUBJECT: message` and exit 2", () => {
  const cases: [args: string[], line: RegExp][] = [
    [
      ["copy", "--bogus", "a", "b"],
      /^ocicompat: copy: unknown option '--bogus' \(see ocicompat copy --help\)\n$/,
    ],
    [
      ["select", "-o", "xml", "app:1"],
      /^ocicompat: select: option '-o, --output <format>' argument 'xml' is invalid\. Allowed choices are table, json, yaml \(see ocicompat select --help\)\n$/,
    ],
    [
      ["select"],
      /^ocicompat: select: missing required argument 'ref' \(see ocicompat select --help\)\n$/,
    ],
    [
      ["check", "app:1", "--node"],
      /^ocicompat: check: option '--node <profile>' argument missing \(see ocicompat check --help\)\n$/,
    ],
    [
      ["copy", "a", "b", "c"],
      /^ocicompat: copy: too many arguments for 'copy'\. Expected 2 arguments but got 3 \(see ocicompat copy --help\)\n$/,
    ],
    [
      ["bogus"],
      /^ocicompat: unknown command 'bogus'( \(Did you mean \w+\?\))? \(see ocicompat --help\)\n$/,
    ],
    [["--bogus"], /^ocicompat: unknown option '--bogus' \(see ocicompat --help\)\n$/],
  ];
  for (const [args, line] of cases) {
    test(`ocicompat ${args.join(" ")} prints one line in the documented format`, () => {
      const r = runCli(args);
      assert.equal(r.status, 2);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, line);
    });
  }
});
