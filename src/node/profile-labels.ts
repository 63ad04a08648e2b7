// The `labels` object of a node profile, in a stable order: catalog labels in catalog order,
// then any others by name, so that two profiles of one node are byte-identical.
import type { LabelCatalog } from "../compat/catalog.js";
import type { Fact } from "../compat/label-types.js";
import type { NodeProfile } from "../compat/node-profile.js";
import { recordOf } from "../compat/own-record.js";

export function profileLabels(
  facts: ReadonlyMap<string, Fact>,
  catalog: LabelCatalog,
): NodeProfile["labels"] {
  // A Map until the end: a fact may be named toString or __proto__ (own-record.ts).
  const out = new Map<string, NodeProfile["labels"][string]>();
  const put = (label: string, fact: Fact): void => {
    out.set(
      label,
      Array.isArray(fact)
        ? [...(fact as readonly string[])]
        : (fact as Exclude<Fact, readonly string[]>),
    );
  };
  for (const def of catalog.list()) {
    const fact = facts.get(def.name);
    if (fact !== undefined) put(def.name, fact);
  }
  for (const label of [...facts.keys()].sort()) {
    if (!out.has(label)) put(label, facts.get(label) as Fact);
  }
  return recordOf(out);
}
