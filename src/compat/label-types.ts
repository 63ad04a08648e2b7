// The value types of compatibility labels (docs/compat-language.md) and the facts a node holds.

export const LabelTypes = ["version", "set", "string", "bool", "quantity"] as const;
export type LabelType = (typeof LabelTypes)[number];

/** One fact about a node: a string, a set of strings, a number (quantity) or a boolean. */
export type Fact = string | readonly string[] | number | boolean;
