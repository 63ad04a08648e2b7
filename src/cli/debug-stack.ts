// OCICOMPAT_DEBUG's stack trace, its frames in the CLI bundle mapped back to the modules they were
// bundled from. The bundle is minified and compiled through vm.Script, to which Node 20 applies no
// source map, so its frames read `main.cjs:228:5304`; a user's bug report should name
// `dist/src/content/open.js:88:19`. Loaded only when the variable is set.
import { readFileSync } from "node:fs";
import { SourceMap, type SourceMapPayload } from "node:module";
import { dirname, isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** A frame's location in the bundle: its file (any path ending in main.cjs), line and column. */
const BUNDLE_FRAME = /([^\s()]*main\.cjs):(\d+):(\d+)/g;

/** `stack` with each bundle frame replaced by its original file, line and column where known. */
export function mappedStack(stack: string): string {
  const maps = new Map<string, SourceMap | undefined>();
  return stack.replace(
    BUNDLE_FRAME,
    (frame: string, file: string, line: string, column: string) => {
      if (!maps.has(file)) maps.set(file, readMap(file));
      const map = maps.get(file);
      const entry = map?.findEntry(Number(line) - 1, Number(column) - 1);
      if (entry === undefined || !("originalSource" in entry)) return frame;
      const source = entry.originalSource.startsWith("file:")
        ? fileURLToPath(entry.originalSource)
        : entry.originalSource;
      const path = isAbsolute(source) ? source : resolve(dirname(file), source);
      return `${path}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
    },
  );
}

function readMap(bundle: string): SourceMap | undefined {
  try {
    return new SourceMap(JSON.parse(readFileSync(`${bundle}.map`, "utf8")) as SourceMapPayload);
  } catch {
    return undefined; // no map beside it (or not ours): the frames stay as they are
  }
}
