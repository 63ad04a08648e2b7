// Bundles the compiled CLI (dist/src/cli/main.js) into one CommonJS file, dist/cli/main.cjs, with
// esbuild. Node 20 spends most of a short command's time resolving and compiling module files.
// One file, loaded by bin/ocicompat.js through vm.Script, can use V8's code cache (Node 20 has no
// compile cache for ES modules), and still evaluates only what a command uses: esbuild turns
// main.ts's per-command `import()` into lazily run module initialisers. dist/cli/main.id names
// this exact build, so a code cache made from another build is never offered to V8 (which checks
// only the source length). The library (dist/src) stays unbundled. See docs/design.md, "Start-up".
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

// undici's HTTP/2 client gets a stand-in for node:http2 (scripts/bundle-shims/http2.cjs).
const lazyHttp2 = {
  name: "lazy-http2",
  setup(build) {
    build.onResolve({ filter: /^node:http2$/ }, (args) =>
      /undici[\\/]lib[\\/]dispatcher[\\/]client-h2\.js$/.test(args.importer)
        ? { path: fileURLToPath(new URL("bundle-shims/http2.cjs", import.meta.url)) }
        : undefined,
    );
  },
};

// commander gets a stand-in for node:child_process (scripts/bundle-shims/child-process.cjs).
const lazyChildProcess = {
  name: "lazy-child-process",
  setup(build) {
    build.onResolve({ filter: /^node:child_process$/ }, (args) =>
      /commander[\\/]lib[\\/]command\.js$/.test(args.importer)
        ? { path: fileURLToPath(new URL("bundle-shims/child-process.cjs", import.meta.url)) }
        : undefined,
    );
  },
};

const outdir = "dist/cli";
const outfile = `${outdir}/main.cjs`;
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: ["dist/src/cli/main.js"],
  outfile,
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  // import() of a Node built-in becomes require(): vm.Script code has no module loader of its own.
  supported: { "dynamic-import": false },
  minify: true,
  sourcemap: "linked", // used only under `node --enable-source-maps`
  sourcesContent: false, // the sources are dist/src, shipped beside it
  legalComments: "linked",
  logLevel: "warning",
  plugins: [lazyHttp2, lazyChildProcess],
});
const id = createHash("sha256").update(readFileSync(outfile)).digest("hex").slice(0, 32);
writeFileSync(`${outdir}/main.id`, `${id}\n`);
