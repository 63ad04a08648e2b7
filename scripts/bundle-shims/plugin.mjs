// The esbuild plugin that gives dependencies stand-ins for Node built-ins they load at start but a
// command rarely or never uses (each file here says what it serves and why). Shared by the CLI
// bundle (scripts/bundle-cli.mjs) and the bench's undici floor (bench/floors/), which must load
// undici exactly as the CLI does.
import { fileURLToPath } from "node:url";

// [built-in, the importers that get its stand-in].
const standIns = [
  // undici's HTTP/2 client: node:http2.
  ["http2", /undici[\\/]lib[\\/]dispatcher[\\/]client-h2\.js$/],
  // undici: node:http's IncomingMessage and maxHeaderSize only.
  ["http", /undici[\\/]lib[\\/](core[\\/]util|dispatcher[\\/]client)\.js$/],
  // undici: only assert(value, message).
  ["assert", /undici[\\/]lib[\\/]/],
  // commander: node:child_process, for executable subcommands.
  ["child_process", /commander[\\/]lib[\\/]command\.js$/],
];
const shimFile = { child_process: "child-process" };
export const lazyBuiltins = {
  name: "lazy-builtins",
  setup(build) {
    for (const [builtin, importer] of standIns) {
      const filter = new RegExp(`^(node:)?${builtin}$`);
      build.onResolve({ filter }, (args) =>
        importer.test(args.importer)
          ? {
              path: fileURLToPath(new URL(`${shimFile[builtin] ?? builtin}.cjs`, import.meta.url)),
            }
          : undefined,
      );
    }
  },
};
