// Output formats and colour. JSON/YAML go to stdout; diagnostics go to stderr.
import { Option } from "commander";
import pc from "picocolors";

export const OutputFormats = ["table", "json", "yaml"] as const;
export type OutputFormat = (typeof OutputFormats)[number];

export function outputOption(): Option {
  return new Option("-o, --output <format>", "output format")
    .choices(OutputFormats)
    .default("table");
}

/** Loads the YAML writer only for `-o yaml`: most runs never need it, and it is a large module. */
export async function renderData(format: "json" | "yaml", data: unknown): Promise<string> {
  if (format === "json") return `${JSON.stringify(data, null, 2)}\n`;
  const { toYaml } = await import("./yaml-output.js");
  return toYaml(data);
}

/** picocolors honours NO_COLOR, FORCE_COLOR and whether stdout is a terminal. */
export const color = pc;

/** `--labels FILE`, repeatable: label packs on top of the built-in catalog and the config dir. */
export function labelsOption(): Option {
  return new Option("--labels <file>", "a label pack declaring community labels (repeatable)")
    .argParser((value: string, previous: string[]) => [...previous, value])
    .default([]);
}

/** Sizes for people: `512 B`, `1.5 KiB`, `256.0 MiB`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = -1;
  do {
    v /= 1024;
    u++;
  } while (v >= 1024 && u < units.length - 1);
  return `${v.toFixed(1)} ${units[u]}`;
}

/** `sha256:` and the first 12 hex characters: enough to tell digests apart in a table. */
export function shortDigest(digest: string): string {
  const colon = digest.indexOf(":");
  return colon < 0 ? digest : digest.slice(0, colon + 13);
}
