// One NFD MatchExpression (`{op, value}`) against one observed element, with NFD's semantics
// (kubernetes-sigs/node-feature-discovery pkg/apis/nfd/nodefeaturerule/expression.go,
// evaluateMatchExpression; docs/interop.md cites the commit):
// * Exists / DoesNotExist ask only whether the element is there; Any always matches;
// * every other op needs the element: an absent one never matches, not even NotIn;
// * In / NotIn compare strings exactly; InRegexp searches (unanchored) with any pattern;
// * Gt / Lt / GtLt compare integers (GtLt is exclusive at both ends); IsTrue / IsFalse compare the
//   value with "true" / "false".
// Expressions are checked when the spec is read (expressionProblem), so evaluation never fails;
// an observed value that is not an integer makes Gt/Lt/GtLt not match (NFD aborts the rule).

export const NFD_OPS = [
  "Any",
  "In",
  "NotIn",
  "InRegexp",
  "Exists",
  "DoesNotExist",
  "Gt",
  "Lt",
  "GtLt",
  "IsTrue",
  "IsFalse",
] as const;
export type NfdOp = (typeof NFD_OPS)[number];

export interface NfdExpression {
  op: NfdOp;
  value: readonly string[];
}

const INTEGER = /^[+-]?\d+$/;

function integer(text: string): number | undefined {
  return INTEGER.test(text) ? Number(text) : undefined;
}

/** Why an expression cannot be evaluated (NFD's own checks), or undefined. */
export function expressionProblem(op: string, value: readonly string[]): string | undefined {
  if (!(NFD_OPS as readonly string[]).includes(op))
    return `"${op}" is not an NFD op (${NFD_OPS.join(", ")})`;
  switch (op as NfdOp) {
    case "Any":
    case "Exists":
    case "DoesNotExist":
    case "IsTrue":
    case "IsFalse":
      return value.length === 0 ? undefined : `value must be empty for ${op}`;
    case "In":
    case "NotIn":
      return value.length > 0 ? undefined : `value must be non-empty for ${op}`;
    case "InRegexp":
      if (value.length === 0) return `value must be non-empty for ${op}`;
      for (const v of value) {
        try {
          new RegExp(v, "u");
        } catch {
          return `"${v}" is not a valid regular expression`;
        }
      }
      return undefined;
    case "Gt":
    case "Lt":
      if (value.length !== 1) return `value must hold exactly one integer for ${op}`;
      return integer(value[0] as string) === undefined
        ? `"${value[0]}" is not an integer`
        : undefined;
    case "GtLt": {
      if (value.length !== 2) return `value must hold exactly two integers for ${op}`;
      const [lo, hi] = value.map(integer);
      if (lo === undefined || hi === undefined) return `value must hold two integers for ${op}`;
      return lo < hi ? undefined : `value[0] must be less than value[1] for ${op}`;
    }
  }
}

/**
 * Whether the expression matches an element: `present` says whether the node has it, `observed`
 * is its value (undefined for flags, which have none).
 */
export function matchExpression(
  e: NfdExpression,
  present: boolean,
  observed: string | undefined,
): boolean {
  switch (e.op) {
    case "Any":
      return true;
    case "Exists":
      return present;
    case "DoesNotExist":
      return !present;
  }
  // NFD evaluates the remaining ops only on a present element with a value.
  if (!present || observed === undefined) return false;
  switch (e.op) {
    case "In":
      return e.value.includes(observed);
    case "NotIn":
      return !e.value.includes(observed);
    case "InRegexp":
      return e.value.some((v) => new RegExp(v, "u").test(observed));
    case "Gt":
    case "Lt": {
      const l = integer(observed);
      const r = integer(e.value[0] as string);
      if (l === undefined || r === undefined) return false;
      return e.op === "Gt" ? l > r : l < r;
    }
    case "GtLt": {
      const v = integer(observed);
      const [lo, hi] = e.value.map(integer);
      if (v === undefined || lo === undefined || hi === undefined) return false;
      return v > lo && v < hi;
    }
    case "IsTrue":
      return observed === "true";
    case "IsFalse":
      return observed === "false";
  }
}
