// features.d: NFD's "local" feature files. ocicompat reads the root's own directory, where NFD and
// device plugins already put them, then any configured directories on this machine.
import type { LabelCatalog } from "../../compat/catalog.js";
import { HostRoot } from "../host-root.js";
import { siteFacts, type SiteOutput } from "./site-output.js";

export const ROOT_FEATURES_DIR = "/etc/kubernetes/node-feature-discovery/features.d";

/** NFD ignores feature files above 64 KiB, and so does ocicompat. */
export const FEATURE_FILE_MAX_BYTES = 64 * 1024;

async function readDirectory(
  root: HostRoot,
  dir: string,
  label: string,
  note: (message: string) => void,
): Promise<{ origin: string; text: string }[]> {
  const names = await root.list(dir);
  if (names === undefined) return [];
  const texts: { origin: string; text: string }[] = [];
  for (const name of names) {
    // Dot files are how writers stage a file before renaming it into place (NFD skips them).
    if (name.startsWith(".")) continue;
    const path = `${dir}/${name}`;
    const info = await root.info(path);
    if (!info?.isFile) continue;
    const origin = label === "" ? name : `${label}/${name}`;
    if (info.size > FEATURE_FILE_MAX_BYTES) {
      note(
        `${origin} is ${info.size} bytes, over the ${FEATURE_FILE_MAX_BYTES}-byte limit; ignored`,
      );
      continue;
    }
    const text = await root.readText(path);
    if (text !== undefined) texts.push({ origin, text });
  }
  return texts;
}

export async function readFeatureDirectories(
  root: HostRoot,
  configuredDirs: readonly string[],
  catalog: LabelCatalog,
  now: Date,
  note: (message: string) => void,
): Promise<SiteOutput> {
  const texts = await readDirectory(root, ROOT_FEATURES_DIR, "", note);
  const thisMachine = new HostRoot("/");
  for (const dir of configuredDirs) {
    texts.push(...(await readDirectory(thisMachine, dir, dir, note)));
  }
  return siteFacts(texts, catalog, now, note);
}
