// NFD rules against a node's NFD features, with NFD's semantics (docs/interop.md):
// * a compatibility passes when every one of its rules matches (nfd compat validate-node);
// * a rule matches when all its matchFeatures terms match and, if it has matchAny, one element
//   of it does (pkg/apis/nfd/nodefeaturerule/rule.go);
// * a term on one feature (MatchMulti in expression.go): flags and attributes together, where
//   each expression must match in either of them (DoesNotExist in both); or instances, where one
//   instance must match every expression (all of a pci.device rule on the same device). A feature
//   the node lacks entirely never matches;
// * matchName matches when some element name of the feature satisfies it;
// * names are looked up exactly: vfio-pci is not vfio_pci.
// Every failure names the rule, the feature, the expression and what the node has.
import { featureView, type NfdFeatures, type NfdFeatureView } from "./features.js";
import { matchExpression, type NfdExpression } from "./expression.js";
import type { NfdCompatibility, NfdRule, NfdSpec, NfdTerm } from "./spec.js";

export interface NfdRuleResult {
  name: string;
  matched: boolean;
  /** For a rule that does not match: the first term that fails, with what the node has. */
  failure?: string;
}

export interface NfdCompatibilityResult {
  index: number;
  status: "pass" | "fail" | "skipped";
  weight: number;
  tag?: string;
  description?: string;
  rules: NfdRuleResult[];
  /** Why a compatibility was skipped (its tag is not among the wanted ones). */
  reason?: string;
}

export interface NfdSpecResult {
  compatible: boolean;
  /** The passing compatibility with the highest weight (the first on a tie). */
  best?: number;
  compatibilities: NfdCompatibilityResult[];
}

export function formatExpression(name: string, e: NfdExpression): string {
  const value = e.value.length === 0 ? "" : ` [${e.value.join(", ")}]`;
  return `${name} ${e.op}${value}`;
}

const quote = (v: string | undefined): string => (v === undefined ? "absent" : `"${v}"`);

/** Whether `e` on element `name` matches in flags or attributes; DoesNotExist needs both. */
function matchKeyOrValue(view: NfdFeatureView, name: string, e: NfdExpression): boolean {
  const inKeys =
    view.keys === undefined ? undefined : matchExpression(e, view.keys.has(name), undefined);
  const values = view.values;
  const inValues =
    values === undefined
      ? undefined
      : matchExpression(
          e,
          Object.hasOwn(values, name),
          Object.hasOwn(values, name) ? values[name] : undefined,
        );
  if (e.op === "DoesNotExist") return inKeys !== false && inValues !== false;
  return inKeys === true || inValues === true;
}

function observedOf(view: NfdFeatureView, name: string): string {
  if (view.values !== undefined && Object.hasOwn(view.values, name))
    return `the node has ${quote(view.values[name])}`;
  if (view.keys?.has(name)) return "the node has it";
  return "the node does not have it";
}

function matchInstance(instance: Readonly<Record<string, string>>, term: NfdTerm): boolean {
  return term.expressions.every(([name, e]) =>
    matchExpression(
      e,
      Object.hasOwn(instance, name),
      Object.hasOwn(instance, name) ? instance[name] : undefined,
    ),
  );
}

function elementNames(view: NfdFeatureView): string[] {
  return [
    ...(view.keys ?? []),
    ...Object.keys(view.values ?? {}),
    ...view.instances.flatMap((i) => Object.keys(i)),
  ];
}

/** Why a term fails on this node, or undefined when it matches. */
export function termFailure(features: NfdFeatures, term: NfdTerm): string | undefined {
  const view = featureView(features, term.feature);
  const hasKV = view.keys !== undefined || view.values !== undefined;
  if (!hasKV && view.instances.length === 0) return `${term.feature}: the node has no such feature`;
  if (term.matchName !== undefined) {
    const m = term.matchName;
    if (!elementNames(view).some((n) => matchExpression(m, true, n)))
      return `${term.feature}: matchName ${formatExpression("name", m).slice(5)}: no element name matches`;
  }
  let kvFailure: string | undefined;
  if (hasKV) {
    const failing = term.expressions.find(([name, e]) => !matchKeyOrValue(view, name, e));
    if (failing === undefined) return undefined;
    const [name, e] = failing;
    kvFailure = `${term.feature}: ${formatExpression(name, e)}: ${observedOf(view, name)}`;
  }
  if (view.instances.some((i) => matchInstance(i, term))) return undefined;
  if (kvFailure !== undefined) return kvFailure;
  const wanted = term.expressions.map(([n, e]) => formatExpression(n, e)).join(", ");
  const shown = view.instances
    .slice(0, 4)
    .map((i) => term.expressions.map(([n]) => `${n}=${Object.hasOwn(i, n) ? i[n] : "-"}`).join(" "))
    .join("; ");
  const more = view.instances.length > 4 ? `; and ${view.instances.length - 4} more` : "";
  return `${term.feature}: no instance has all of ${wanted} (the node has ${shown}${more})`;
}

export function evaluateRule(features: NfdFeatures, rule: NfdRule): NfdRuleResult {
  for (const term of rule.matchFeatures) {
    const failure = termFailure(features, term);
    if (failure !== undefined) return { name: rule.name, matched: false, failure };
  }
  if (rule.matchAny.length > 0) {
    const failures: string[] = [];
    for (const element of rule.matchAny) {
      const failure = element.map((t) => termFailure(features, t)).find((f) => f !== undefined);
      if (failure === undefined) return { name: rule.name, matched: true };
      failures.push(failure);
    }
    return {
      name: rule.name,
      matched: false,
      failure: `matchAny: none matches (${failures.join("; ")})`,
    };
  }
  return { name: rule.name, matched: true };
}

export interface NfdEvaluateOptions {
  /** Only compatibilities with one of these tags are considered (NFD's --tags). */
  tags?: readonly string[];
}

function evaluateCompatibility(
  features: NfdFeatures,
  c: NfdCompatibility,
  tags: readonly string[] | undefined,
): NfdCompatibilityResult {
  const base = {
    index: c.index,
    weight: c.weight,
    ...(c.tag === undefined ? {} : { tag: c.tag }),
    ...(c.description === undefined ? {} : { description: c.description }),
  };
  if (tags !== undefined && tags.length > 0 && !(c.tag !== undefined && tags.includes(c.tag))) {
    return { ...base, status: "skipped", rules: [], reason: `tag ${c.tag ?? "(none)"} not wanted` };
  }
  const rules = c.rules.map((r) => evaluateRule(features, r));
  return { ...base, status: rules.every((r) => r.matched) ? "pass" : "fail", rules };
}

/** The spec against a node's NFD features; the best passing compatibility by weight. */
export function evaluateNfdSpec(
  spec: NfdSpec,
  features: NfdFeatures,
  options: NfdEvaluateOptions = {},
): NfdSpecResult {
  const compatibilities = spec.compatibilities.map((c) =>
    evaluateCompatibility(features, c, options.tags),
  );
  let best: NfdCompatibilityResult | undefined;
  for (const c of compatibilities)
    if (c.status === "pass" && (best === undefined || c.weight > best.weight)) best = c;
  return {
    compatible: best !== undefined,
    ...(best === undefined ? {} : { best: best.index }),
    compatibilities,
  };
}
