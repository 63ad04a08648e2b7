// Bundles the compiled CLI (dist/src/cli/main.js) into dist/cli/ with esbuild. Node 20 spends most
// of a short command's time resolving and compiling hundreds of separate module files; one
// minified chunk per command cuts start-up roughly in half. The library (dist/src) stays unbundled.
import { build } from "esbuild";
import { rmSync } from "node:fs";

const outdir = "dist/cli";
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: ["dist/src/cli/main.js"],
  outdir,
  bundle: true,
  splitting: true, // keeps main.ts's per-command dynamic imports lazy
  format: "esm",
  platform: "node",
  target: "node20",
  minify: true,
  sourcemap: "linked", // used only under `node --enable-source-maps`
  sourcesContent: false, // the sources are dist/src, shipped beside it
  legalComments: "linked",
  logLevel: "warning",
  // Bundled CommonJS dependencies (undici, commander) call require() for Node built-ins.
  banner: {
    js: 'import { createRequire as __ocicompatRequire } from "node:module"; const require = __ocicompatRequire(import.meta.url);',
  },
});
