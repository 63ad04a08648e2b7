// `attach --infer`: the author's sets and the inferred ones combined. Every author set is combined
// with every inferred set (an inferred set is one OR alternative, e.g. one NVIDIA driver branch),
// so a node passes exactly when it passes some author set and some inferred alternative. Where
// both name a label, the author's value is kept: it was written on purpose, and it is reported.
// Pure.

export type CompatSet = Record<string, unknown>;

export interface MergeResult {
  sets: CompatSet[];
  /** Labels where the author's value was kept over the inferred one. */
  kept: { label: string; authored: unknown; inferred: unknown }[];
}

export function mergeInferred(
  authored: readonly CompatSet[],
  inferred: readonly CompatSet[],
): MergeResult {
  if (authored.length === 0) return { sets: inferred.map((s) => ({ ...s })), kept: [] };
  if (inferred.length === 0) return { sets: authored.map((s) => ({ ...s })), kept: [] };
  const sets: CompatSet[] = [];
  const kept = new Map<string, MergeResult["kept"][number]>();
  for (const a of authored) {
    for (const i of inferred) {
      const set: CompatSet = { ...a };
      for (const [label, value] of Object.entries(i)) {
        if (label === "description") continue;
        if (!Object.hasOwn(a, label)) set[label] = value;
        else if (a[label] !== value)
          kept.set(`${label}\0${String(a[label])}\0${String(value)}`, {
            label,
            authored: a[label],
            inferred: value,
          });
      }
      if (a["description"] === undefined && i["description"] !== undefined)
        set["description"] = i["description"];
      sets.push(set);
    }
  }
  return { sets, kept: [...kept.values()] };
}
