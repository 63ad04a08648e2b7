// `ocicompat login` on a terminal asks for what its flags did not give, as podman login does:
// the user name, then the password without echo. The terminal is a pseudo-terminal from
// script(1); the registry is the real one with htpasswd (bcrypt) authentication.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import bcrypt from "bcryptjs";
import { tempDir } from "../content/layout-support.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import { hasStackTrace, isolatedEnv, runCli } from "./run-cli.js";

const ALICE = { user: "alice", password: "alice-s3cret" };
let registry: TestRegistry;
const work = tempDir("ocicompat-cli-login-prompt-");
let counter = 0;

before(async () => {
  registry = await startRegistry({
    htpasswd: `${ALICE.user}:${bcrypt.hashSync(ALICE.password, 4)}\n`,
  });
});
after(async () => {
  await registry?.stop();
  work.remove();
});

/** An auth file of its own per test. */
function authFile(): string {
  const dir = join(work.path, `s${counter++}`);
  mkdirSync(dir, { recursive: true });
  return join(dir, "auth.json");
}

/**
 * Runs `ocicompat ARGS` on a pseudo-terminal, typing each answer once its prompt has appeared.
 * Returns the exit status and everything the terminal showed.
 */
function onTerminal(
  args: string[],
  answers: [prompt: string, typed: string][],
): Promise<{ status: number | null; screen: string }> {
  const quote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;
  const command = [process.execPath, "bin/ocicompat.js", ...args].map(quote).join(" ");
  const child = spawn("script", ["-qefc", command, "/dev/null"], {
    env: { ...process.env, NO_COLOR: "1", ...isolatedEnv() },
    stdio: ["pipe", "pipe", "inherit"],
  });
  let screen = "";
  let next = 0;
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    screen += chunk;
    const answer = answers[next];
    if (answer !== undefined && screen.includes(answer[0])) {
      next++;
      child.stdin.write(answer[1]);
    }
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  return new Promise((resolve) => {
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, screen });
    });
  });
}

describe("login on a terminal (spawned on a pseudo-terminal; real registry with htpasswd)", () => {
  test("asks for the user name and the password, shows the name but not the password, and stores both", async () => {
    const file = authFile();
    const r = await onTerminal(
      ["login", "--authfile", file, registry.host],
      [
        ["Username:", `${ALICE.user}\r`],
        ["Password:", `${ALICE.password}\r`],
      ],
    );
    assert.equal(r.status, 0, r.screen);
    assert.match(r.screen, /Username: .*alice/);
    assert.ok(!r.screen.includes(ALICE.password), "the password is not echoed");
    assert.match(r.screen, /Login Succeeded!/);
    const stored = JSON.parse(readFileSync(file, "utf8")) as {
      auths: Record<string, { auth: string }>;
    };
    assert.equal(
      stored.auths[registry.host]?.auth,
      Buffer.from(`${ALICE.user}:${ALICE.password}`).toString("base64"),
    );
  });

  test("with --username, only the password is asked; a wrong one is refused and nothing is stored", async () => {
    const file = authFile();
    const r = await onTerminal(
      ["login", "-u", ALICE.user, "--authfile", file, registry.host],
      [["Password:", "not-her-password\r"]],
    );
    assert.equal(r.status, 2, r.screen);
    assert.ok(!r.screen.includes("Username:"));
    assert.match(r.screen, /wrong credentials|refused|denied/i);
    assert.equal(hasStackTrace(r.screen), false);
    assert.throws(() => statSync(file), /ENOENT/);
  });

  test("Ctrl-C at the password prompt ends login with exit 2, one line, and nothing stored", async () => {
    const file = authFile();
    const r = await onTerminal(
      ["login", "-u", ALICE.user, "--authfile", file, registry.host],
      [["Password:", "\x03"]],
    );
    assert.equal(r.status, 2, r.screen);
    assert.match(r.screen, /ocicompat: nothing was entered at "Password:" \(canceled\)/);
    assert.equal(hasStackTrace(r.screen), false);
    assert.throws(() => statSync(file), /ENOENT/);
  });
});

describe("login without a terminal never waits for an answer", () => {
  test("without --username it is a usage error (exit 2) that says a terminal would be asked", () => {
    const r = runCli(["login", "--authfile", authFile(), registry.host]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /login needs --username \(on a terminal, login asks for it\)/);
  });

  test("--password-stdin without --username is a usage error: standard input holds the password", () => {
    const r = runCli(["login", "--password-stdin", "--authfile", authFile(), registry.host], {
      input: `${ALICE.password}\n`,
    });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--password-stdin needs --username/);
  });
});
