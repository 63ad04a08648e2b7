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
import { readFile } from "node:fs/promises";
import { relative } from "node:path";
import { lazyBuiltins } from "./bundle-shims/plugin.mjs";

// Each bundled module records, when its body runs, a short name (a hash of its path) in one array
// that the bundle exports as `modulesRun`. bin/ocicompat.js keeps in a command's code cache which
// modules the runs that wrote it ran, and writes the cache again after a run that ran others, whose
// functions the cache would otherwise never hold (docs/design.md, "Start-up").
const MODULES_RUN = "__ocicompat_ran";
const moduleMarks = {
  name: "module-marks",
  setup(build) {
    build.onLoad({ filter: /\.[cm]?js$/ }, async (args) => {
      const text = await readFile(args.path, "utf8");
      const name = createHash("sha256")
        .update(relative(process.cwd(), args.path).replaceAll("\\", "/"))
        .digest("hex")
        .slice(0, 8);
      const mark = `;${MODULES_RUN}.push("${name}");\n`;
      // Before tsc's source-map comment, which esbuild reads to map the bundle back to src/.
      const map = text.lastIndexOf("\n//# sourceMappingURL=");
      const contents =
        map < 0 ? `${text}\n${mark}` : `${text.slice(0, map + 1)}${mark}${text.slice(map + 1)}`;
      return { contents, loader: "js" };
    });
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
  // For tools (a profile's or a stack's main.cjs:LINE:COLUMN mapped back to dist/src): Node 20
  // applies no source map to code compiled by vm.Script, --enable-source-maps or not.
  sourcemap: "linked",
  sourcesContent: false, // the sources are dist/src, shipped beside it
  legalComments: "linked",
  logLevel: "warning",
  // The file is the module inside the function Node wraps a CommonJS module in, written out, so
  // that bin/ocicompat.js compiles the very string it reads: wrapping it there built a second
  // 1.2 MB string for every run, and kept both alive until a collection (~2 MiB of a warm
  // select's private memory, with the code cache's buffer). "use strict" must stay the first
  // statement of the function: the bundle is strict code.
  banner: {
    js: `(function (exports, require, module, __filename, __dirname) {"use strict";var ${MODULES_RUN}=[];`,
  },
  footer: { js: `module.exports.modulesRun=${MODULES_RUN};\n})` },
  plugins: [lazyBuiltins, moduleMarks],
});
const id = createHash("sha256").update(readFileSync(outfile)).digest("hex").slice(0, 32);
writeFileSync(`${outdir}/main.id`, `${id}\n`);
