// Node facts, parsed once per node so that matching many label values stays cheap.

import { keySpellings, nameKey, type NameForm } from "../canonical-names.js";
import type { Fact, LabelType } from "../label-types.js";
import { readBool } from "./bool.js";
import { globbableNames, type GlobbableNames } from "./glob.js";
import { parseQuantity } from "./quantity.js";
import type { PreparedFact } from "./types.js";
import { parseVersion } from "./version.js";

/** Scalar types read a one-name list as that name: probes that always emit arrays still work. */
function scalar(fact: Fact): string | number | boolean | undefined {
  if (typeof fact !== "object") return fact;
  return fact.length === 1 ? fact[0] : undefined;
}

/**
 * Reads a node fact as `type`; undefined when it cannot be read so (e.g. "abc" as a quantity), in
 * which case the caller reports the label as unknown rather than guessing. A set label's names
 * are read in `form`'s canonical spelling when it has one (canonical-names.ts).
 */
export function prepareFact(
  type: LabelType,
  fact: Fact,
  form?: NameForm,
): PreparedFact | undefined {
  switch (type) {
    case "set": {
      const items =
        typeof fact === "string" ? [fact] : Array.isArray(fact) ? fact.slice() : undefined;
      if (items === undefined || items.some((i) => typeof i !== "string")) return undefined;
      const lowerList = items.map((i) => nameKey(form, i));
      // Sorting a set twice for globs costs more than a whole selection when no glob asks (a
      // kernel config is ~1,600 names): built at the first glob, then kept.
      let globbable: GlobbableNames | undefined;
      return {
        type,
        items,
        lowerList,
        lower: new Set(lowerList),
        get globbable() {
          globbable ??= globbableNames(
            form === "cpu-feature" ? lowerList.flatMap((k) => keySpellings(form, k)) : lowerList,
          );
          return globbable;
        },
        form,
      };
    }
    case "string": {
      const v = scalar(fact);
      if (v === undefined) return undefined;
      const text = String(v);
      return { type, text, lower: text.toLowerCase() };
    }
    case "version": {
      const v = scalar(fact);
      // Non-integers are refused: JSON has already turned 2.10 into 2.1.
      if (typeof v === "number" && !(Number.isSafeInteger(v) && v >= 0)) return undefined;
      if (typeof v !== "string" && typeof v !== "number") return undefined;
      const text = String(v).trim();
      const parts = parseVersion(text);
      return parts.length === 0 ? undefined : { type, text, parts };
    }
    case "quantity": {
      const v = scalar(fact);
      if (typeof v === "number") {
        return Number.isFinite(v) ? { type, text: String(v), value: v } : undefined;
      }
      if (typeof v !== "string") return undefined;
      const value = parseQuantity(v);
      return value === undefined || !Number.isFinite(value)
        ? undefined
        : { type, text: v.trim(), value };
    }
    case "bool": {
      const v = scalar(fact);
      const value = typeof v === "boolean" ? v : typeof v === "string" ? readBool(v) : undefined;
      return value === undefined ? undefined : { type, value };
    }
  }
}
