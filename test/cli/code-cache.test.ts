// bin/ocicompat.js's V8 code cache (docs/design.md, "Start-up"): written once per build, Node
// version, engine flags and command; reused; never trusted when another user could have written
// it; a broken one costs a compile, never a failure.
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { runCli } from "./run-cli.js";

const ARGS = ["validate", "examples/compat-v3.yaml"];

describe("the CLI's code cache", () => {
  const work = mkdtempSync(join(tmpdir(), "ocicompat-code-cache-"));
  after(() => rmSync(work, { recursive: true, force: true }));

  const run = (dir: string, args = ARGS) => {
    const out = runCli(args, { env: { OCICOMPAT_CODE_CACHE_DIR: dir } });
    assert.equal(out.status, 0, out.stderr);
    return out.stdout;
  };
  const files = (dir: string): string[] => readdirSync(dir).sort();

  test("the first run of a command writes its cache, named by build and command; the next run reuses it unchanged", () => {
    const dir = join(work, "reuse");
    const first = run(dir);
    const id = readFileSync("dist/cli/main.id", "utf8").trim();
    const [name, ...more] = files(dir);
    assert.deepEqual(more, []);
    assert.match(
      name ?? "",
      new RegExp(`^${id}-${process.version}-${process.arch}-[0-9a-f]{8}-validate\\.bin$`),
    );
    const file = join(dir, name as string);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const bytes = readFileSync(file);
    assert.ok(bytes.length > 1000, "holds compiled code");
    assert.equal(run(dir), first, "same output from cached code");
    assert.deepEqual(readFileSync(file), bytes, "an accepted cache is not rewritten");
    run(dir, ["labels"]);
    assert.equal(files(dir).length, 2, "one cache per command");
  });

  test("a corrupt cache file is refused by V8: the command runs as usual and the file is replaced", () => {
    const dir = join(work, "corrupt");
    const expected = run(dir);
    const file = join(dir, files(dir)[0] as string);
    writeFileSync(file, Buffer.alloc(4096, 0x5a), { mode: 0o600 });
    assert.equal(run(dir), expected);
    assert.notDeepEqual(readFileSync(file), Buffer.alloc(4096, 0x5a));
  });

  test("a cache file others may write is never read, and is replaced by this user's own", () => {
    const dir = join(work, "writable");
    const expected = run(dir);
    const file = join(dir, files(dir)[0] as string);
    chmodSync(file, 0o666);
    assert.equal(run(dir), expected);
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });

  test("caches of other builds are removed when this build writes its own, once no build has written them for a week", () => {
    const dir = join(work, "stale");
    run(dir);
    const name = files(dir)[0] as string;
    const stale = `0123456789abcdef0123456789abcdef${name.slice(32)}`;
    const recent = `fedcba9876543210fedcba9876543210${name.slice(32)}`;
    rmSync(join(dir, name));
    writeFileSync(join(dir, stale), "old build", { mode: 0o600 });
    const eightDaysAgo = new Date(Date.now() - 8 * 24 * 3600 * 1000);
    utimesSync(join(dir, stale), eightDaysAgo, eightDaysAgo);
    writeFileSync(join(dir, recent), "another install's build", { mode: 0o600 });
    run(dir);
    assert.deepEqual(files(dir).sort(), [name, recent].sort());
  });

  test("OCICOMPAT_CODE_CACHE_DIR set to nothing turns the cache off", () => {
    const dir = join(work, "off");
    const out = runCli(ARGS, { env: { OCICOMPAT_CODE_CACHE_DIR: "", XDG_CACHE_HOME: dir } });
    assert.equal(out.status, 0, out.stderr);
    assert.throws(() => readdirSync(dir), /ENOENT/);
  });
});
