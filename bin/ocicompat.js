#!/usr/bin/env node
// The published entry point: the bundled CLI (scripts/bundle-cli.mjs). In a source checkout,
// build first (npm run build).
// CommonJS (bin/package.json says so): an ES module entry costs every run the ES module loader's
// start, about 5 ms, and nothing here needs it.
"use strict";
const { createHash } = require("node:crypto");
const { closeSync, fstatSync, mkdirSync, openSync, readdirSync } = require("node:fs");
const { readFileSync, renameSync, rmSync, statSync, writeFileSync } = require("node:fs");
const { createRequire } = require("node:module");
const { homedir } = require("node:os");
const { dirname, isAbsolute, join } = require("node:path");
const { setFlagsFromString } = require("node:v8");
const { Script } = require("node:vm");

// The engine flags the CLI sets, before anything is compiled; the library (dist/src) leaves the
// engine alone. Set at run time: given on Node's command line, any V8 flag costs ~50 M
// instructions more at start-up.
// - undici parses HTTP with a WebAssembly module. V8 recompiles its hot functions with the
//   optimising tier in the background, and a process cannot exit until that job ends: ~100 ms
//   added to every registry command. The baseline tier is ample for parsing headers.
// - select and check are bounded by their budgets (at most --max-entries entries of one image,
//   1,024 unless raised), and end before V8's optimizing compiler pays for itself: on a
//   2,000-entry select it compiled the per-entry code on a background thread, 30% of the run's
//   instructions, for code that then ran a few hundred times. So these two stop at the baseline
//   compiler (Sparkplug). Other commands keep it: the servers (mirror, webhook) and fleet run long
//   enough to gain from it. Only the command in first place counts (`ocicompat select …`); a
//   skopeo-style global option before it only forgoes this.
//
// Node compiles its built-in modules from a code cache built into the executable, and V8 refuses
// that cache for every built-in loaded once an engine flag differs from the build's (it compares
// a hash of the flags). So the built-ins that nearly every command loads are loaded before the
// flags are set: a warm select of the demo, 325 -> 300 M instructions; --version 165 -> 156 M.
const EARLY_BUILTINS = [
  "node:crypto",
  "node:fs/promises",
  "node:net",
  "node:stream",
  "node:stream/consumers",
  "node:stream/promises",
  "node:string_decoder",
  "node:diagnostics_channel",
  "node:async_hooks",
  "node:perf_hooks",
  // What undici reads of node:http, without node:http (scripts/bundle-shims/http.cjs).
  "_http_incoming",
];
for (const name of EARLY_BUILTINS) require(name);
const BOUNDED_COMMANDS = new Set(["select", "check"]);
const ENGINE_FLAGS = [
  "--liftoff-only",
  ...(BOUNDED_COMMANDS.has(process.argv[2] ?? "") ? ["--max-opt=1"] : []),
];
for (const flag of ENGINE_FLAGS) setFlagsFromString(flag);

// A reader that stops early (`ocicompat ls REF | head`) closes the pipe: that is not an error. What
// is left to print is dropped, and the command still ends with its own status (a failed check is
// still 1). Any other write failure is reported in one line.
process.stdout.on("error", (err) => {
  if (err.code === "EPIPE" || err.code === "ERR_STREAM_DESTROYED") return;
  process.stderr.write(`ocicompat: cannot write to standard output: ${err.message}\n`);
  process.exit(2);
});

// V8's code cache (docs/design.md, "Start-up"): compiling the bundle is most of a short command's
// CPU time, and Node 20 caches no ES module code. So the bundle is one CommonJS file run through
// vm.Script, with the bytecode V8 compiled for this command on an earlier run. One cache file per
// build (main.id), Node version and command, under OCICOMPAT_CODE_CACHE_DIR, else
// $XDG_CACHE_HOME/ocicompat-code or ~/.cache/ocicompat-code; OCICOMPAT_CODE_CACHE_DIR= (empty)
// turns it off. Only a file this user owns and only this user can write is read; any failure
// just means compiling as usual.
const bundle = join(__dirname, "..", "dist", "cli", "main.cjs");
const BUNDLE_START = "(function (exports, require, module, __filename, __dirname) {";
const argv = process.argv.slice(2);

function codeCacheFile() {
  try {
    const env = process.env;
    let dir = env["OCICOMPAT_CODE_CACHE_DIR"];
    if (dir === "") return undefined;
    const xdg = env["XDG_CACHE_HOME"];
    // A relative $XDG_CACHE_HOME is invalid per XDG and ignored, as for the content cache.
    dir ??= join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), ".cache"), "ocicompat-code");
    const id = readFileSync(join(dirname(bundle), "main.id"), "utf8").trim();
    const command = /^[a-z]+$/.test(argv[0] ?? "") ? argv[0] : "other";
    // V8 refuses a cache made under other engine flags; one file per flag set keeps processes
    // started with different flags from overwriting each other's cache on every run. The flags
    // set above count too: a build that changes them must not be offered its own old caches.
    const flags = createHash("sha256")
      .update(
        `${process.execArgv.join(" ")}\0${env["NODE_OPTIONS"] ?? ""}\0${ENGINE_FLAGS.join(" ")}`,
      )
      .digest("hex")
      .slice(0, 8);
    const name = `${id}-${process.version}-${process.arch}-${flags}-${command}.bin`;
    return { dir, id, file: join(dir, name) };
  } catch {
    return undefined;
  }
}

function readOwn(file) {
  let fd;
  try {
    fd = openSync(file, "r");
    const info = fstatSync(fd);
    const uid = process.getuid?.();
    if ((uid !== undefined && info.uid !== uid) || (info.mode & 0o022) !== 0) return undefined;
    return readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

// A cache holds what the runs that wrote it compiled, and V8 compiles a function only when it
// first runs. A cache written by `copy --help`, or by a check of a layout, lacks the code that a
// real copy or a registry check runs, which would then compile it on every run. So the file
// starts with a line saying what its writers ran: whether one of them was a complete run (not
// help, not an error) and which of the bundle's modules ran (each records a short name in the
// bundle's `modulesRun` when its body runs, scripts/bundle-cli.mjs). A run that was complete
// where its writers were not, or that ran a module they did not, writes the cache again: V8 then
// serialises the cached functions and this run's together, so a cache only grows, and it stops
// changing once every kind of run the user makes has been seen.
const HEADER_MAGIC = "ocicompat-code-cache 1\n";

function parseCache(bytes) {
  if (bytes === undefined || bytes.length < HEADER_MAGIC.length) return undefined;
  if (bytes.toString("latin1", 0, HEADER_MAGIC.length) !== HEADER_MAGIC) return undefined;
  const end = bytes.indexOf(0x0a, HEADER_MAGIC.length);
  if (end < 0) return undefined;
  try {
    const header = JSON.parse(bytes.toString("utf8", HEADER_MAGIC.length, end));
    if (typeof header?.complete !== "boolean" || !Array.isArray(header.modules)) return undefined;
    return { header, data: bytes.subarray(end + 1) };
  } catch {
    return undefined;
  }
}

/** Help, usage errors and failures run little of a command; exit 1 is a real answer ("no"). */
function isCompleteRun(code) {
  if (code !== 0 && code !== 1) return false;
  if (argv.length === 0 || argv[0] === "help") return false;
  const end = argv.indexOf("--");
  const options = end < 0 ? argv : argv.slice(0, end);
  return !options.includes("--help") && !options.includes("-h");
}

/** The header a rewrite would carry, or undefined when the cache already covers this run. */
function headerToWrite(cachedHeader, accepted, code, modulesRun) {
  const complete = isCompleteRun(code);
  const ran = [...new Set(modulesRun)];
  if (!accepted) return { complete, modules: ran };
  const known = new Set(cachedHeader.modules);
  const fresh = ran.filter((name) => !known.has(name));
  if (fresh.length === 0 && (cachedHeader.complete || !complete)) return undefined;
  return { complete: complete || cachedHeader.complete, modules: [...known, ...fresh] };
}

// The directory's bound: a build's caches of every command take ~30 MB, so four builds fit.
const CACHE_DIR_MAX_BYTES = 128 * 1024 * 1024;
const WEEK_MS = 7 * 24 * 3600 * 1000;
// The names codeCacheFile gives (build id, Node.js version, architecture, flags hash, command), and
// the temp names writeCache renames from.
const CACHE_FILE_NAME = /^[0-9a-f]{32}-v\d[^/]*-[0-9a-f]{8}-[a-z]+\.bin$/;
const CACHE_TEMP_NAME = new RegExp(`${CACHE_FILE_NAME.source.slice(0, -1)}\\.\\d+\\.tmp$`);

/**
 * A cache of another build is never offered to this one. It may still serve another install (a
 * global one beside npx's): removing it at once would make two builds recompile by turns, so only
 * what no build has written for a week goes, and a temp file a killed run left. Past the bound
 * (many builds within a week, or runs under many engine flag sets), the least recently written
 * files go too; the one just written stays.
 */
function pruneCacheDir(cache) {
  const now = Date.now();
  const kept = [];
  let total = 0;
  const remove = (path) => {
    try {
      rmSync(path, { force: true });
      return true;
    } catch {
      return false;
    }
  };
  for (const name of readdirSync(cache.dir)) {
    // Only what a run of some build wrote: the directory may be one the user shares with other
    // files (OCICOMPAT_CODE_CACHE_DIR=~/.cache), and those are never ours to remove.
    const temp = CACHE_TEMP_NAME.test(name);
    if (!temp && !CACHE_FILE_NAME.test(name)) continue;
    const path = join(cache.dir, name);
    let info;
    try {
      info = statSync(path);
    } catch {
      continue; // another run removed it meanwhile
    }
    if (!info.isFile()) continue;
    const age = now - info.mtimeMs;
    const ours = !temp && name.startsWith(`${cache.id}-`);
    if ((temp && age > 3600 * 1000) || (!temp && !ours && age > WEEK_MS)) {
      if (remove(path)) continue;
    }
    total += info.size;
    if (path !== cache.file) kept.push({ path, size: info.size, mtimeMs: info.mtimeMs });
  }
  kept.sort((a, b) => a.mtimeMs - b.mtimeMs);
  for (const file of kept) {
    if (total <= CACHE_DIR_MAX_BYTES) break;
    if (remove(file.path)) total -= file.size;
  }
}

function writeCache(cache, script, header) {
  try {
    mkdirSync(cache.dir, { recursive: true, mode: 0o700 });
    const temp = `${cache.file}.${process.pid}.tmp`;
    const head = Buffer.from(`${HEADER_MAGIC}${JSON.stringify(header)}\n`, "utf8");
    writeFileSync(temp, Buffer.concat([head, script.createCachedData()]), { mode: 0o600 });
    renameSync(temp, cache.file);
    pruneCacheDir(cache);
  } catch {
    // A cache that cannot be written costs the next run a compile, nothing more.
  }
}

const cache = codeCacheFile();
const { header: cachedHeader, data: cachedData } = (cache && parseCache(readOwn(cache.file))) ?? {};
// esbuild writes ASCII only (its default charset), so Latin-1 decoding gives the same string
// without UTF-8 validation: ~2 ms of a 1.2 MB file. The file is already the function Node wraps a
// CommonJS module in (scripts/bundle-cli.mjs), so this string is the one compiled and kept.
const source = readFileSync(bundle, "latin1");
// A checkout's bin/ beside a dist/ built before the bundle was written wrapped: say so, rather than
// fail inside minified code.
if (!source.startsWith(BUNDLE_START)) {
  process.stderr.write(`ocicompat: ${bundle} is from another build; run \`npm run build\`\n`);
  process.exit(2);
}
const script = new Script(source, {
  filename: bundle,
  ...(cachedData ? { cachedData } : {}),
});
// What the callback below needs of the cache is its header and whether it was offered: the data
// (~1 MB) is not kept alive past the compile.
const offered = cachedData !== undefined;
const cli = { exports: {} };
script.runInThisContext()(cli.exports, createRequire(bundle), cli, bundle, dirname(bundle));
void cli.exports.main(argv).then((code) => {
  process.exitCode = code;
  if (cache === undefined) return;
  const accepted = offered && !script.cachedDataRejected;
  const header = headerToWrite(cachedHeader, accepted, code, cli.exports.modulesRun ?? []);
  if (header !== undefined) writeCache(cache, script, header);
});
