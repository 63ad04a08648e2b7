// A site-declared value (always text in features.d files, hook output and pack commands) read as
// the fact its label's type expects.
import type { Fact, LabelType } from "../../compat/label-types.js";
import { parseQuantity } from "../../compat/value/index.js";

/**
 * The fact for `text`, or a reason it does not fit the type. Set labels take a comma-separated
 * (or line-separated) list; bools take true/false; quantities a number with an optional unit.
 */
export function factFromText(type: LabelType, text: string): { fact: Fact } | { problem: string } {
  const value = text.trim();
  switch (type) {
    case "set":
      return {
        fact: value
          .split(/[,\n]/)
          .map((s) => s.trim())
          .filter(Boolean),
      };
    case "bool":
      if (/^(true|false)$/i.test(value)) return { fact: value.toLowerCase() === "true" };
      return { problem: `"${value}" is not true or false` };
    case "quantity": {
      const n = parseQuantity(value);
      return n === undefined ? { problem: `"${value}" is not a quantity` } : { fact: n };
    }
    case "version":
    case "string":
      return value === "" ? { problem: "is empty" } : { fact: value };
  }
}
