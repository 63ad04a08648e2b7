// The label catalog a command works with: the built-in labels, then the packs found in the
// config directory, then the packs named with --labels (later packs take precedence).
import { readdir } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { createCatalog, type LabelCatalog } from "../compat/catalog.js";
import type { LabelDefinition } from "../compat/label-definition.js";
import { OcicompatError } from "../oci/errors.js";
import { readCapped } from "./read-document.js";

const PACK_MAX_BYTES = 1024 * 1024;

/** `$OCICOMPAT_CONFIG_DIR`, else `$XDG_CONFIG_HOME/ocicompat`, else `~/.config/ocicompat`. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env["OCICOMPAT_CONFIG_DIR"]) return env["OCICOMPAT_CONFIG_DIR"];
  const xdg = env["XDG_CONFIG_HOME"] || join(homedir(), ".config");
  return join(xdg, "ocicompat");
}

/** Pack files in `<config dir>/labels/`, in name order; none when the directory is absent. */
export async function configuredPackFiles(env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const dir = join(configDir(env), "labels");
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw new OcicompatError("IO", `cannot list label packs: ${(err as Error).message}`, {
      subject: dir,
      cause: err,
    });
  }
  return names
    .filter((n) => /\.(ya?ml|json)$/i.test(n))
    .sort()
    .map((n) => join(dir, n));
}

export async function loadPack(file: string): Promise<LabelDefinition[]> {
  const bytes = await readCapped(file, PACK_MAX_BYTES);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new OcicompatError("INVALID_YAML", "is not valid UTF-8", { subject: file });
  }
  // The pack reader (and the YAML parser under it) loads only when there is a pack to read:
  // most select and check runs have none (docs/design.md, "Start-up").
  const { parseLabelPack } = await import("../compat/label-pack.js");
  return parseLabelPack(text, file);
}

export async function loadCatalog(
  packFiles: readonly string[] = [],
  env: NodeJS.ProcessEnv = process.env,
): Promise<LabelCatalog> {
  const files = [...(await configuredPackFiles(env)), ...packFiles];
  const packs = await Promise.all(files.map(loadPack));
  return createCatalog(packs.flat());
}
