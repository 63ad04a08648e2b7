// bin/ocicompat.js's V8 code cache (docs/design.md, "Start-up"): written once per build, Node
// version, engine flags and command; reused; never trusted when another user could have written
// it; a broken one costs a compile, never a failure.
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { mkdirSync, truncateSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { runCli } from "./run-cli.js";

const ARGS = ["validate", "examples/compat-v3.yaml"];
const NODE = "examples/nodes/intel-spr.json";
const MAGIC = "ocicompat-code-cache 1\n";

/** A cache file: the header (magic line and JSON line) and V8's data after it. */
function splitCache(bytes: Buffer): { header: Buffer; data: Buffer } {
  assert.equal(bytes.subarray(0, MAGIC.length).toString("latin1"), MAGIC);
  const end = bytes.indexOf(0x0a, MAGIC.length) + 1;
  assert.ok(end > 0, "the header ends with a newline");
  return { header: bytes.subarray(0, end), data: bytes.subarray(end) };
}

function headerOf(file: string): { complete: boolean; modules: string[] } {
  const { header } = splitCache(readFileSync(file));
  return JSON.parse(header.subarray(MAGIC.length).toString("utf8")) as {
    complete: boolean;
    modules: string[];
  };
}

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

  test("a cache whose bytecode is corrupt is refused by V8: the command runs as usual and the file is replaced", () => {
    const dir = join(work, "corrupt");
    const expected = run(dir);
    const file = join(dir, files(dir)[0] as string);
    const { header } = splitCache(readFileSync(file));
    const corrupt = Buffer.concat([header, Buffer.alloc(4096, 0x5a)]);
    writeFileSync(file, corrupt, { mode: 0o600 });
    assert.equal(run(dir), expected);
    assert.notDeepEqual(readFileSync(file), corrupt);
    assert.ok(readFileSync(file).length > 4096 + header.length, "holds compiled code again");
  });

  test("a cache file without the header (another format) is not offered to V8 and is replaced", () => {
    const dir = join(work, "headerless");
    const expected = run(dir);
    const file = join(dir, files(dir)[0] as string);
    writeFileSync(file, splitCache(readFileSync(file)).data, { mode: 0o600 });
    assert.equal(run(dir), expected);
    assert.equal(headerOf(file).complete, true);
  });

  test("a cache written by a help run is written again by the command's first complete run, and then kept", () => {
    const dir = join(work, "help-first");
    const help = runCli(["validate", "--help"], { env: { OCICOMPAT_CODE_CACHE_DIR: dir } });
    assert.equal(help.status, 0, help.stderr);
    const file = join(dir, files(dir)[0] as string);
    assert.equal(headerOf(file).complete, false);
    const helpBytes = readFileSync(file);
    run(dir);
    assert.equal(headerOf(file).complete, true);
    const complete = readFileSync(file);
    assert.ok(complete.length > helpBytes.length, "the complete run's code was added");
    run(dir);
    runCli(["validate", "--help"], { env: { OCICOMPAT_CODE_CACHE_DIR: dir } });
    assert.deepEqual(readFileSync(file), complete, "neither a second run nor help rewrites it");
  });

  test("a run that runs bundled modules the cache's writers did not run writes it again, keeping both runs' code", () => {
    const dir = join(work, "grow");
    const offline = ["check", "--spec", "examples/compat-avx512.yaml", "--node", NODE];
    run(dir, offline);
    const file = join(dir, files(dir)[0] as string);
    const first = headerOf(file);
    const firstBytes = readFileSync(file);
    // A registry on a closed port: the run fails (exit 2) but has loaded the registry stack.
    const refused = runCli(["check", "127.0.0.1:1/none:v1", "--node", NODE], {
      env: { OCICOMPAT_CODE_CACHE_DIR: dir },
    });
    assert.equal(refused.status, 2, refused.stderr);
    const grown = headerOf(file);
    assert.ok(
      grown.modules.length > first.modules.length,
      "the registry stack's modules (undici's among them) are added",
    );
    assert.deepEqual(
      first.modules.filter((name) => !grown.modules.includes(name)),
      [],
      "the first run's modules are kept",
    );
    assert.equal(grown.complete, true, "a failed run does not take completeness away");
    const grownBytes = readFileSync(file);
    assert.ok(grownBytes.length > firstBytes.length);
    run(dir, offline);
    assert.deepEqual(readFileSync(file), grownBytes, "the offline run is covered now");
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

  test("past 128 MiB the least recently written caches go, whatever their build, and the one just written stays; a killed run's old temp file goes", () => {
    const dir = join(work, "bounded");
    run(dir);
    const name = files(dir)[0] as string;
    rmSync(join(dir, name));
    const MiB = 1024 * 1024;
    const daysAgo = (days: number) => new Date(Date.now() - days * 24 * 3600 * 1000);
    const other = (n: number) => `${String(n).repeat(32)}${name.slice(32)}`;
    // Sparse files: their size counts, without writing 180 MiB.
    for (const [n, days] of [
      [1, 3],
      [2, 2],
      [3, 1],
    ] as const) {
      writeFileSync(join(dir, other(n)), "", { mode: 0o600 });
      truncateSync(join(dir, other(n)), 60 * MiB);
      utimesSync(join(dir, other(n)), daysAgo(days), daysAgo(days));
    }
    const temp = `${name}.12345.tmp`;
    writeFileSync(join(dir, temp), "a killed run's", { mode: 0o600 });
    const twoHoursAgo = new Date(Date.now() - 2 * 3600 * 1000);
    utimesSync(join(dir, temp), twoHoursAgo, twoHoursAgo);
    run(dir);
    assert.deepEqual(files(dir), [other(2), other(3), name].sort());
  });

  test("in a directory shared with other files, only cache files are ever removed, and a subdirectory stops nothing", () => {
    const dir = join(work, "shared");
    run(dir);
    const name = files(dir)[0] as string;
    const MiB = 1024 * 1024;
    const monthAgo = new Date(Date.now() - 30 * 24 * 3600 * 1000);
    const notes = join(dir, "my-notes.txt");
    writeFileSync(notes, "");
    truncateSync(notes, 200 * MiB);
    utimesSync(notes, monthAgo, monthAgo);
    const oldTmp = join(dir, "download.tmp");
    writeFileSync(oldTmp, "someone else's");
    utimesSync(oldTmp, monthAgo, monthAgo);
    const sub = join(dir, `${"4".repeat(32)}${name.slice(32)}`);
    mkdirSync(sub);
    utimesSync(sub, monthAgo, monthAgo);
    const stale = `${"5".repeat(32)}${name.slice(32)}`;
    writeFileSync(join(dir, stale), "old build", { mode: 0o600 });
    utimesSync(join(dir, stale), monthAgo, monthAgo);
    rmSync(join(dir, name));
    run(dir);
    assert.deepEqual(
      files(dir),
      [name, "my-notes.txt", "download.tmp", `${"4".repeat(32)}${name.slice(32)}`].sort(),
    );
  });

  test('the bundle with its module marks is still strict code: "use strict" is the first statement of its module function', () => {
    const bundle = readFileSync("dist/cli/main.cjs", "latin1");
    assert.ok(
      bundle.startsWith(
        '(function (exports, require, module, __filename, __dirname) {"use strict";',
      ),
    );
    assert.match(bundle, /__ocicompat_ran\.push\("[0-9a-f]{8}"\)/);
  });

  test("OCICOMPAT_CODE_CACHE_DIR set to nothing turns the cache off", () => {
    const dir = join(work, "off");
    const out = runCli(ARGS, { env: { OCICOMPAT_CODE_CACHE_DIR: "", XDG_CACHE_HOME: dir } });
    assert.equal(out.status, 0, out.stderr);
    assert.throws(() => readdirSync(dir), /ENOENT/);
  });
});
