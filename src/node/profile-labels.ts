// The `labels` object of a node profile, in a stable order: catalog labels in catalog order,
// then any others by name, so that two profiles of one node are byte-identical.
import type { LabelCatalog } from "../compat/catalog.js";
import type { Fact } from "../compat/label-types.js";
import type { NodeProfile } from "../compat/node-profile.js";

export function profileLabels(
  facts: ReadonlyMap<string, Fact>,
  catalog: LabelCatalog,
): NodeProfile["labels"] {
  const out: NodeProfile["labels"] = {};
  const put = (label: string, fact: Fact): void => {
    out[label] = Array.isArray(fact)
      ? [...(fact as readonly string[])]
      : (fact as Exclude<Fact, readonly string[]>);
  };
  for (const def of catalog.list()) {
    const fact = facts.get(def.name);
    if (fact !== undefined) put(def.name, fact);
  }
  for (const label of [...facts.keys()].sort()) {
    if (!(label in out)) put(label, facts.get(label) as Fact);
  }
  return out;
}
