// The value compiler: a label's value string is parsed once into a Matcher, and a node's facts
// once into PreparedFacts, so that evaluating many images against many nodes is cheap.

import type { NameForm } from "../canonical-names.js";
import type { LabelType } from "../label-types.js";
import { compileBool } from "./bool.js";
import { compileQuantity } from "./quantity.js";
import { compileSet } from "./set.js";
import { compileString } from "./string.js";
import type { CompileResult } from "./types.js";
import { compileVersion } from "./version-range.js";

export type {
  CompileResult,
  Matcher,
  MatchOutcome,
  PreparedBool,
  PreparedFact,
  PreparedQuantity,
  PreparedSet,
  PreparedString,
  PreparedVersion,
  ValueSyntaxIssue,
} from "./types.js";
export { prepareFact } from "./facts.js";
export { compareVersions, parseVersion } from "./version.js";
export { parseQuantity } from "./quantity.js";

/**
 * Compiles a label value of the given type; syntax problems come back as issues, never thrown.
 * `form` gives a set label's names their canonical spelling (canonical-names.ts).
 */
export function compileValue(type: LabelType, value: string, form?: NameForm): CompileResult {
  switch (type) {
    case "version":
      return compileVersion(value);
    case "quantity":
      return compileQuantity(value);
    case "set":
      return compileSet(value, form);
    case "string":
      return compileString(value);
    case "bool":
      return compileBool(value);
  }
}
