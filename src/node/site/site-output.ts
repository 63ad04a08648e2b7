// What a site source (features.d files, one hook) declared, with the origin of each fact.
import type { LabelCatalog } from "../../compat/catalog.js";
import type { Fact } from "../../compat/label-types.js";
import { recordOf } from "../../compat/own-record.js";
import { FactAccumulator } from "../fact-accumulator.js";
import { parseFeatureFile } from "./feature-file.js";
import { readSiteEntry } from "./site-entry.js";

export interface SiteOutput {
  facts: Record<string, Fact>;
  /** Label → where in the source it was declared (a file name). */
  origins: Record<string, string>;
}

/** Reads `key=value` texts in order into one source's facts; later lines refine earlier ones. */
export function siteFacts(
  texts: readonly { origin: string; text: string }[],
  catalog: LabelCatalog,
  now: Date,
  note: (message: string) => void,
): SiteOutput {
  const acc = new FactAccumulator();
  for (const { origin, text } of texts) {
    const parsed = parseFeatureFile(text, now);
    for (const p of parsed.problems) note(`${origin}:${p.line}: ${p.message}`);
    for (const line of parsed.lines) {
      const entry = readSiteEntry(line.key, line.value, catalog);
      if ("problem" in entry) {
        note(`${origin}:${line.line}: ${entry.problem}`);
        continue;
      }
      for (const { label, fact } of entry.facts) acc.add(label, fact, origin);
    }
  }
  const facts = acc.toRecord();
  const origins = recordOf(
    Object.keys(facts).map((label) => [label, acc.origin(label) ?? ""] as const),
  );
  return { facts, origins };
}
