// Node selector terms as sets of per-label constraints, so that terms can be intersected,
// simplified and compared before they are written out as Kubernetes matchExpressions. A `Dnf` is
// the OR of its terms (Kubernetes' nodeSelectorTerms); a term is the AND of its constraints (one
// term's matchExpressions). An empty Dnf admits no node; a Dnf holding one empty term admits all.
import type { NodeSelectorRequirement } from "kubernetes-types/core/v1.js";

/** What one term requires of one node label. Gt/Lt bounds are integers, as Kubernetes reads them. */
export interface Constraint {
  /** true: the label must exist; false: it must not. */
  exists?: boolean;
  /** The label's value must be one of these. */
  in?: ReadonlySet<string>;
  notIn?: ReadonlySet<string>;
  gt?: number;
  lt?: number;
}

export type Term = ReadonlyMap<string, Constraint>;
export type Dnf = readonly Term[];

export const ANY_NODE: Dnf = [new Map()];
export const NO_NODE: Dnf = [];

export function term(key: string, c: Constraint): Term {
  return new Map([[key, c]]);
}

function intValue(v: string): number | undefined {
  return /^-?\d+$/.test(v) ? Number(v) : undefined;
}

function valueAllowed(c: Constraint, v: string): boolean {
  if (c.notIn?.has(v)) return false;
  if (c.gt !== undefined || c.lt !== undefined) {
    const n = intValue(v);
    if (n === undefined) return false;
    if (c.gt !== undefined && !(n > c.gt)) return false;
    if (c.lt !== undefined && !(n < c.lt)) return false;
  }
  return true;
}

/** Both constraints at once, reduced; undefined when no label value satisfies both. */
export function intersectConstraints(a: Constraint, b: Constraint): Constraint | undefined {
  const absent = a.exists === false || b.exists === false;
  const present =
    a.exists === true ||
    b.exists === true ||
    [a, b].some((c) => c.in !== undefined || c.gt !== undefined || c.lt !== undefined);
  if (absent) return present ? undefined : { exists: false };
  const out: Constraint = {};
  const gts = [a.gt, b.gt].filter((x): x is number => x !== undefined);
  const lts = [a.lt, b.lt].filter((x): x is number => x !== undefined);
  if (gts.length > 0) out.gt = Math.max(...gts);
  if (lts.length > 0) out.lt = Math.min(...lts);
  // Integers strictly between gt and lt.
  if (out.gt !== undefined && out.lt !== undefined && out.lt - out.gt < 2) return undefined;
  const notIn = new Set([...(a.notIn ?? []), ...(b.notIn ?? [])]);
  if (notIn.size > 0) out.notIn = notIn;
  if (a.in !== undefined || b.in !== undefined) {
    let values = [...(a.in ?? b.in ?? [])];
    if (a.in !== undefined && b.in !== undefined) values = values.filter((v) => b.in?.has(v));
    values = values.filter((v) => valueAllowed(out, v));
    if (values.length === 0) return undefined;
    // A value list says everything the bounds and exclusions said.
    return { in: new Set(values) };
  }
  if (out.gt === undefined && out.lt === undefined && out.notIn === undefined) {
    return present ? { exists: true } : {};
  }
  // Gt/Lt need the label; NotIn alone does not.
  if (present && out.gt === undefined && out.lt === undefined) out.exists = true;
  return out;
}

/** Both terms at once; undefined when they contradict each other. */
export function intersectTerms(a: Term, b: Term): Term | undefined {
  const out = new Map(a);
  for (const [key, c] of b) {
    const mine = out.get(key);
    if (mine === undefined) {
      out.set(key, c);
      continue;
    }
    const both = intersectConstraints(mine, c);
    if (both === undefined) return undefined;
    out.set(key, both);
  }
  return out;
}

/** Whether every label value `strict` admits is one `loose` admits (a sufficient check). */
function constraintImplies(strict: Constraint, loose: Constraint): boolean {
  const strictPresent =
    strict.exists === true ||
    strict.in !== undefined ||
    strict.gt !== undefined ||
    strict.lt !== undefined;
  if (loose.exists === true && !strictPresent) return false;
  if (loose.exists === false) return strict.exists === false;
  if (strict.exists === false) {
    return loose.in === undefined && loose.gt === undefined && loose.lt === undefined;
  }
  const values = strict.in === undefined ? undefined : [...strict.in];
  if (loose.in !== undefined) {
    if (values === undefined || !values.every((v) => loose.in?.has(v))) return false;
  }
  for (const v of loose.notIn ?? []) {
    const excluded = strict.notIn?.has(v) === true || (values !== undefined && !values.includes(v));
    if (!excluded) return false;
  }
  if (loose.gt !== undefined) {
    const ok =
      (strict.gt !== undefined && strict.gt >= loose.gt) ||
      (values !== undefined && values.every((v) => (intValue(v) ?? -Infinity) > (loose.gt ?? 0)));
    if (!ok) return false;
  }
  if (loose.lt !== undefined) {
    const ok =
      (strict.lt !== undefined && strict.lt <= loose.lt) ||
      (values !== undefined && values.every((v) => (intValue(v) ?? Infinity) < (loose.lt ?? 0)));
    if (!ok) return false;
  }
  return true;
}

/** Whether every node `strict` admits is one `loose` admits. */
export function termImplies(strict: Term, loose: Term): boolean {
  for (const [key, c] of loose) {
    const s = strict.get(key);
    if (s === undefined) {
      // A missing label satisfies only NotIn / DoesNotExist, so an unconstrained key proves nothing
      // unless the loose constraint admits every value and absence.
      if (
        c.exists !== undefined ||
        c.in !== undefined ||
        c.gt !== undefined ||
        c.lt !== undefined
      ) {
        return false;
      }
      if (c.notIn !== undefined && c.notIn.size > 0) return false;
      continue;
    }
    if (!constraintImplies(s, c)) return false;
  }
  return true;
}

/** Drops terms another term already admits (keeping the first of equal ones). */
export function simplify(dnf: Dnf): Dnf {
  const kept: Term[] = [];
  dnf.forEach((t, i) => {
    const redundant = dnf.some(
      (other, j) => j !== i && termImplies(t, other) && (!termImplies(other, t) || j < i),
    );
    if (!redundant) kept.push(t);
  });
  return kept;
}

export function or(...parts: readonly Dnf[]): Dnf {
  return simplify(parts.flat());
}

/** Terms beyond this many are refused: the pod spec would grow past what anyone can read. */
export const MAX_TERMS = 256;

export class TooManyTerms extends Error {
  constructor(readonly count: number) {
    super(`the node affinity would need more than ${MAX_TERMS} terms (${count})`);
  }
}

/** The cross product of the terms of both, contradictions dropped, simplified. */
export function and(a: Dnf, b: Dnf): Dnf {
  const out: Term[] = [];
  for (const x of a) {
    for (const y of b) {
      const t = intersectTerms(x, y);
      if (t !== undefined) out.push(t);
    }
    if (out.length > MAX_TERMS * 4) throw new TooManyTerms(out.length);
  }
  const simple = simplify(out);
  if (simple.length > MAX_TERMS) throw new TooManyTerms(simple.length);
  return simple;
}

export function andAll(parts: readonly Dnf[]): Dnf {
  return parts.reduce((acc, p) => and(acc, p), ANY_NODE);
}

function sorted(values: Iterable<string>): string[] {
  return [...values].sort((x, y) => {
    const a = intValue(x);
    const b = intValue(y);
    return a !== undefined && b !== undefined ? a - b : x < y ? -1 : x > y ? 1 : 0;
  });
}

/** One term as Kubernetes matchExpressions, keys in order. */
export function requirementsOf(t: Term): NodeSelectorRequirement[] {
  const out: NodeSelectorRequirement[] = [];
  for (const key of [...t.keys()].sort()) {
    const c = t.get(key) as Constraint;
    if (c.in !== undefined) {
      out.push({ key, operator: "In", values: sorted(c.in) });
      continue;
    }
    if (c.exists === false) {
      out.push({ key, operator: "DoesNotExist" });
      continue;
    }
    if (c.gt !== undefined) out.push({ key, operator: "Gt", values: [String(c.gt)] });
    if (c.lt !== undefined) out.push({ key, operator: "Lt", values: [String(c.lt)] });
    if (c.notIn !== undefined && c.notIn.size > 0) {
      out.push({ key, operator: "NotIn", values: sorted(c.notIn) });
    }
    if (c.exists === true && c.gt === undefined && c.lt === undefined) {
      out.push({ key, operator: "Exists" });
    }
  }
  return out;
}

/** matchExpressions read back into a term (for intersecting with a user's own affinity). */
export function termOf(requirements: readonly NodeSelectorRequirement[]): Term | undefined {
  let t: Term = new Map();
  for (const r of requirements) {
    const values = r.values ?? [];
    let c: Constraint;
    switch (r.operator) {
      case "In":
        c = { in: new Set(values) };
        break;
      case "NotIn":
        c = { notIn: new Set(values) };
        break;
      case "Exists":
        c = { exists: true };
        break;
      case "DoesNotExist":
        c = { exists: false };
        break;
      case "Gt":
      case "Lt": {
        const n = intValue(values[0] ?? "");
        if (n === undefined) return undefined;
        c = r.operator === "Gt" ? { gt: n } : { lt: n };
        break;
      }
      default:
        // An operator Kubernetes does not define: the API server would refuse the object.
        return undefined;
    }
    const next = intersectTerms(t, term(r.key, c));
    if (next === undefined) return undefined;
    t = next;
  }
  return t;
}

/** Whether a node with these labels satisfies one requirement, as the Kubernetes scheduler decides. */
export function requirementHolds(
  r: NodeSelectorRequirement,
  labels: Readonly<Record<string, string>>,
): boolean {
  const has = Object.hasOwn(labels, r.key);
  const value = has ? (labels[r.key] as string) : undefined;
  const values = r.values ?? [];
  switch (r.operator) {
    case "In":
      return value !== undefined && values.includes(value);
    case "NotIn":
      return value === undefined || !values.includes(value);
    case "Exists":
      return has;
    case "DoesNotExist":
      return !has;
    case "Gt":
    case "Lt": {
      const n = value === undefined ? undefined : intValue(value);
      const bound = intValue(values[0] ?? "");
      if (n === undefined || bound === undefined) return false;
      return r.operator === "Gt" ? n > bound : n < bound;
    }
    default:
      return false;
  }
}
