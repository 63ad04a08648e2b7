// Runs a bundled CommonJS file the way bin/ocicompat.js runs the CLI: compiled through vm.Script
// with V8's code cache from an earlier run (written when there was none). Usage:
// node run-cached.cjs BUNDLE CACHE_FILE
"use strict";
const { readFileSync, writeFileSync } = require("node:fs");
const { createRequire } = require("node:module");
const { dirname } = require("node:path");
const { setFlagsFromString } = require("node:v8");
const { Script } = require("node:vm");

// As bin/ocicompat.js, before anything compiles: the engine's flags are part of what a code cache
// must match, and undici's WebAssembly parser then stays on the baseline tier.
setFlagsFromString("--liftoff-only");

const [bundle, cacheFile] = process.argv.slice(2);
let cachedData;
try {
  cachedData = readFileSync(cacheFile);
} catch {
  // The first run compiles and writes it.
}
const source = `(function (exports, require, module, __filename, __dirname) {${readFileSync(bundle, "latin1")}\n})`;
const script = new Script(source, { filename: bundle, ...(cachedData ? { cachedData } : {}) });
const mod = { exports: {} };
script.runInThisContext()(mod.exports, createRequire(bundle), mod, bundle, dirname(bundle));
process.on("beforeExit", () => {
  if (cachedData === undefined || script.cachedDataRejected) {
    writeFileSync(cacheFile, script.createCachedData());
    cachedData = Buffer.alloc(0); // once
  }
});
