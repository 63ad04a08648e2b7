#!/usr/bin/env node
// The published entry point: the bundled CLI (scripts/bundle-cli.mjs). In a source checkout,
// build first (npm run build).
import { setFlagsFromString } from "node:v8";

// undici parses HTTP with a WebAssembly module. V8 recompiles its hot functions with the
// optimising tier in the background, and a process cannot exit until that job ends: ~100 ms added
// to every registry command. The baseline tier is ample for parsing headers, so stay on it. Set
// before anything compiles WebAssembly; the library (dist/src) leaves the engine alone.
setFlagsFromString("--liftoff-only");

// A reader that stops early (`ocicompat ls REF | head`) closes the pipe: that is not an error. What
// is left to print is dropped, and the command still ends with its own status (a failed check is
// still 1). Any other write failure is reported in one line.
process.stdout.on("error", (err) => {
  if (err.code === "EPIPE" || err.code === "ERR_STREAM_DESTROYED") return;
  process.stderr.write(`ocicompat: cannot write to standard output: ${err.message}\n`);
  process.exit(2);
});

const { main } = await import("../dist/cli/main.js");
process.exitCode = await main(process.argv.slice(2));
