// Paths of the fixture host trees (test/fixtures/hosts/, written by generate.ts there).
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const HOSTS_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "hosts");

export function host(name: string): string {
  return join(HOSTS_DIR, name);
}

/** A fixed clock for features.d expiry-time directives. */
export const NOW = new Date("2025-06-01T00:00:00Z");

/** Space-separated words, for long expected sets. */
export function words(text: string): string[] {
  return text.split(/\s+/).filter(Boolean);
}
