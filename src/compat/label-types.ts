// The value types of compatibility labels (docs/compat-language.md) and the facts a node holds.

export const LabelTypes = ["version", "set", "string", "bool", "quantity"] as const;
export type LabelType = (typeof LabelTypes)[number];

/** One fact about a node: a string, a set of strings, a number (quantity) or a boolean. */
export type Fact = string | readonly string[] | number | boolean;

/** How a value of each type is written, for `ocicompat explain` (docs/compat-language.md has more). */
export const LABEL_TYPE_SYNTAX: Readonly<Record<LabelType, string>> = {
  version:
    'Comparators >= > <= < = != joined by "," (all must hold); alternatives joined by "||" (any may hold); intervals [a, b), (a, b], [a,]; a bare version such as 5.15 means "starts with" (5.15.x). Versions compare by their leading numbers, split at ".", "-" and "+": 5.14.0-427.el9.x86_64 is 5.14.0.427.',
  set: "Comma-separated items that must all hold against the node's set: A (present), A|B (any of), !A (absent), globs * and ?. Case-insensitive; a trailing comma is allowed.",
  string:
    "The node's single value must match: A, alternatives A|B, globs * and ?, or !A (must not match). Case-insensitive.",
  bool: "true or false.",
  quantity:
    "Like version, over numbers with the suffixes k M G T (powers of 1000) and Ki Mi Gi Ti (powers of 1024): >=64Gi, [4, 16]. A bare number means equal.",
};
