// A compatibility set compiled once: each label resolved in the catalog and its value parsed
// into a matcher. Compilation reports syntax problems; evaluation never has to.
import type { ValidationIssue } from "../oci/errors.js";
import { childPath, formatJsonPath, type PathSegment } from "../oci/json-path.js";
import { isKnownName, type NameForm } from "./canonical-names.js";
import { suggestLabel, type LabelCatalog, type LabelDefinition } from "./catalog.js";
import type { LabelType } from "./label-types.js";
import type { CompatibilitySet } from "./sets.js";
import { compileValue, type CompileResult, type Matcher } from "./value/index.js";

export interface CompiledLabel {
  /** The key as written in the set. */
  label: string;
  /** The catalog's canonical name, or the key itself for an unknown label. */
  canonical: string;
  type: LabelType;
  known: boolean;
  matcher: Matcher;
  /** Small integer naming (type, canonical label), so nodes can keep facts in an array. */
  slot: number;
  /** How the label's set names are made canonical, when they are. */
  names?: NameForm;
  /** Said with every verdict on this label, e.g. why an unknown label is compared as a version. */
  note?: string;
}

/** Why an unknown label's value is compared as a version (docs/compat-language.md). */
export const INFERRED_VERSION_NOTE =
  "compared as a version: the label is unknown, and its value is written as a version range";

/**
 * Whether a value can only mean a version range: it starts with a comparator or an interval
 * bracket and parses as a version value. Bare names and globs stay strings.
 */
function inferVersion(value: string): CompileResult | undefined {
  if (!/^\s*(?:[<>=[(]|!=)/.test(value)) return undefined;
  const result = compileValue("version", value);
  return result.ok ? result : undefined;
}

/** At most this many misspelt names are quoted in one warning; the rest are counted. */
const SHOWN_UNKNOWN_NAMES = 5;

function unknownNamesWarning(form: NameForm, matcher: Matcher): string | undefined {
  const unknown = [...new Set(matcher.literalNames?.() ?? [])].filter((n) => !isKnownName(form, n));
  if (unknown.length === 0) return undefined;
  const shown = unknown.slice(0, SHOWN_UNKNOWN_NAMES).map((n) => JSON.stringify(n));
  const more = unknown.length > shown.length ? ` (+${unknown.length - shown.length} more)` : "";
  const list = `${shown.join(", ")}${more}`;
  return form === "cpu-feature"
    ? `${list}: not a CPU feature name known from /proc/cpuinfo, NFD or Go's x/sys/cpu, so no node may report it; check the spelling`
    : `${list}: not a vendor.device ID of four hex digits each (e.g. 15b3.101b), so no node reports it`;
}

// Interned (type, label) pairs. It only grows with distinct label names, which are few, and it
// lets evaluation fetch a node's prepared fact by array index instead of two map lookups.
const slots = new Map<string, number>();

function slotOf(type: LabelType, canonical: string): number {
  const key = `${type}\u0000${canonical}`;
  let slot = slots.get(key);
  if (slot === undefined) {
    slot = slots.size;
    slots.set(key, slot);
  }
  return slot;
}

export interface CompiledSet {
  set: CompatibilitySet;
  labels: readonly CompiledLabel[];
  /** False when some label can never pass, e.g. ">=5, <4". */
  satisfiable: boolean;
}

export interface CompileSetsResult {
  compiled: CompiledSet[];
  errors: ValidationIssue[];
  warnings: ValidationIssue[];
}

/**
 * Compiles every set, collecting issues located below `at` (the JSON path of the list). Sets with
 * errors are left out of `compiled`.
 */
export function compileSets(
  sets: readonly CompatibilitySet[],
  catalog: LabelCatalog,
  at: readonly PathSegment[] = [],
): CompileSetsResult {
  const errors: ValidationIssue[] = [];
  const warnings: ValidationIssue[] = [];
  const compiled: CompiledSet[] = [];
  // Documents repeat label names across sets; each unknown name is compared with the catalog once.
  const typos = new Map<string, string | undefined>();
  for (const set of sets) {
    const setPath = formatJsonPath([...at, set.index]);
    const labels: CompiledLabel[] = [];
    const seen = new Map<string, string>();
    let ok = true;
    for (const [label, value] of Object.entries(set.labels)) {
      const path = childPath(setPath, label);
      const def = catalog.get(label);
      const canonical = def?.name ?? label;
      const earlier = seen.get(canonical);
      if (earlier !== undefined) {
        // Well defined (both must hold), but almost always an editing slip.
        warnings.push({
          path,
          message: `names the same label as "${earlier}" (${canonical}); both must hold, so merge them into one value`,
        });
      }
      seen.set(canonical, label);
      const typo = def === undefined ? typoOf(label, catalog, typos) : undefined;
      if (typo !== undefined) {
        // Close to a known oci.* label: a typo that would silently never pass (or never fail).
        errors.push({
          path,
          message: `unknown label "${label}"; did you mean ${typo}? (an oci.* label that is not in the catalog needs a label pack)`,
        });
        ok = false;
        continue;
      }
      const { type, result, note } = compileLabel(def, label, value, warnings, path);
      if (!result.ok) {
        for (const issue of result.issues) {
          errors.push({
            path,
            message: `${JSON.stringify(value)} is not a valid ${type} value: ${issue.message}`,
            column: issue.column,
          });
        }
        ok = false;
        continue;
      }
      if (def?.names !== undefined) {
        const problem = unknownNamesWarning(def.names, result.matcher);
        if (problem !== undefined) warnings.push({ path, message: problem });
      }
      labels.push({
        label,
        canonical,
        type,
        known: def !== undefined,
        matcher: result.matcher,
        slot: slotOf(type, canonical),
        ...(def?.names !== undefined ? { names: def.names } : {}),
        ...(note !== undefined ? { note } : {}),
      });
    }
    if (!ok) continue;
    const satisfiable = labels.every((l) => l.matcher.satisfiable);
    if (!satisfiable) {
      const never = labels
        .filter((l) => !l.matcher.satisfiable)
        .map((l) => `${l.label}: ${JSON.stringify(l.matcher.source)}`);
      warnings.push({
        path: setPath,
        message: `can never pass: ${never.join("; ")} admits no value`,
      });
    }
    compiled.push({ set, labels, satisfiable });
  }
  warnings.push(...redundancyWarnings(compiled, at));
  return { compiled, errors, warnings };
}

/** The known label an unknown `oci.*` label is a near miss of, worked out once per name. */
function typoOf(
  label: string,
  catalog: LabelCatalog,
  memo: Map<string, string | undefined>,
): string | undefined {
  if (!label.toLowerCase().startsWith("oci.")) return undefined;
  if (!memo.has(label)) memo.set(label, suggestLabel(catalog, label));
  return memo.get(label);
}

/**
 * A label's value compiled for its catalog type; an unknown label is a string, unless its value
 * can only be a version range (Proposal H's `oci.os.openmpi: "[4.1.6, 4.1.6]"`).
 */
function compileLabel(
  def: LabelDefinition | undefined,
  label: string,
  value: string,
  warnings: ValidationIssue[],
  path: string,
): { type: LabelType; result: CompileResult; note?: string } {
  if (def !== undefined) {
    return { type: def.type, result: compileValue(def.type, value, def.names) };
  }
  const version = inferVersion(value);
  if (version !== undefined) {
    warnings.push({
      path,
      message: `unknown label "${label}": its value is a version range, so it is compared as a version (a label pack can declare its type)`,
    });
    return { type: "version", result: version, note: INFERRED_VERSION_NOTE };
  }
  warnings.push({
    path,
    message: `unknown label "${label}": matched as a plain string (a label pack can declare its type)`,
  });
  return { type: "string", result: compileValue("string", value) };
}

/** Canonical label and canonical value text, to compare sets by meaning rather than spelling. */
function signaturePairs(c: CompiledSet): string[] {
  const byLabel = new Map(c.labels.map((l) => [l.canonical, l.matcher.print()]));
  return [...byLabel].map(([label, value]) => `${label}\u0000${value}`);
}

/**
 * The subset tests the redundancy check may make, in pair-ids compared. A document needs far
 * fewer unless it is built to be slow; past this, sets are only compared for exact duplicates
 * (the warnings are advice, and a missed one costs no correctness).
 */
const REDUNDANCY_BUDGET = 2_000_000;

/** Whether sorted id list `small` is contained in sorted id list `big`. */
function sortedSubset(small: Int32Array, big: Int32Array): boolean {
  let j = 0;
  for (let i = 0; i < small.length; i++) {
    const v = small[i] as number;
    while (j < big.length && (big[j] as number) < v) j++;
    if (j >= big.length || big[j] !== v) return false;
    j++;
  }
  return true;
}

interface Signed {
  at: number;
  set: CompiledSet;
  /** Sorted ids of (label, value) pairs. */
  ids: Int32Array;
  key: string;
}

/**
 * Duplicate sets, and sets shadowed by a looser set of the same score and tags: whenever the
 * stricter set passes, the looser one passes too, so the stricter one never changes a result.
 * Each set is reported against the first earlier set it duplicates, shadows or is shadowed by.
 *
 * Comparing every pair of sets is quadratic (10k sets took seconds), so candidates come from an
 * index instead: a set's subsets are anchored at one of its pairs (each set is anchored at its
 * rarest pair), and its supersets all hold its own anchor pair.
 */
function redundancyWarnings(
  compiled: readonly CompiledSet[],
  at: readonly PathSegment[],
): ValidationIssue[] {
  const groups = new Map<string, Signed[]>();
  const pairIds = new Map<string, number>();
  compiled.forEach((c, position) => {
    const ids = Int32Array.from(
      signaturePairs(c).map((pair) => {
        let id = pairIds.get(pair);
        if (id === undefined) {
          id = pairIds.size;
          pairIds.set(pair, id);
        }
        return id;
      }),
    ).sort();
    const group = `${c.set.score}\u0000${[...c.set.tags].sort().join("\u0000")}`;
    const signed: Signed = { at: position, set: c, ids, key: ids.join(",") };
    const list = groups.get(group);
    if (list === undefined) groups.set(group, [signed]);
    else list.push(signed);
  });

  const found: { at: number; issue: ValidationIssue }[] = [];
  const budget = { left: REDUNDANCY_BUDGET };
  for (const members of groups.values()) {
    for (const f of groupRedundancy(members, budget)) {
      found.push({ at: f.later.at, issue: redundancyIssue(f, at) });
    }
  }
  return found.sort((a, b) => a.at - b.at).map((f) => f.issue);
}

interface Redundancy {
  later: Signed;
  earlier: Signed;
  kind: "duplicate" | "earlier-looser" | "later-looser";
}

function groupRedundancy(members: readonly Signed[], budget: { left: number }): Redundancy[] {
  const frequency = new Map<number, number>();
  for (const m of members) for (const id of m.ids) frequency.set(id, (frequency.get(id) ?? 0) + 1);
  const anchorOf = (m: Signed): number | undefined => {
    let anchor: number | undefined;
    for (const id of m.ids) {
      if (anchor === undefined || (frequency.get(id) as number) < (frequency.get(anchor) as number))
        anchor = id;
    }
    return anchor;
  };

  const firstByKey = new Map<string, Signed>();
  /** Earlier sets by their anchor pair: the candidates for being a subset of a later set. */
  const anchored = new Map<number, Signed[]>();
  /** Earlier sets holding each pair, in order: the candidates for being a superset. */
  const holding = new Map<number, Signed[]>();
  let firstEmpty: Signed | undefined;
  let first: Signed | undefined;
  const out: Redundancy[] = [];

  for (const later of members) {
    let best: Redundancy | undefined;
    const consider = (earlier: Signed, kind: Redundancy["kind"]): void => {
      if (best === undefined || earlier.at < best.earlier.at) best = { later, earlier, kind };
    };
    const dup = firstByKey.get(later.key);
    if (dup !== undefined) consider(dup, "duplicate");
    // Earlier, looser sets: each is anchored at a pair that `later` holds too.
    if (firstEmpty !== undefined && later.ids.length > 0) consider(firstEmpty, "earlier-looser");
    for (const id of later.ids) {
      for (const earlier of anchored.get(id) ?? []) {
        if (earlier.ids.length >= later.ids.length) continue;
        if (best !== undefined && earlier.at > best.earlier.at) continue;
        budget.left -= earlier.ids.length + later.ids.length;
        if (budget.left < 0) break;
        if (sortedSubset(earlier.ids, later.ids)) consider(earlier, "earlier-looser");
      }
    }
    // Earlier, stricter sets: each holds `later`'s anchor pair; the first that fits is the one.
    const anchor = anchorOf(later);
    const stricter =
      anchor === undefined ? (first === undefined ? [] : [first]) : (holding.get(anchor) ?? []);
    for (const earlier of stricter) {
      if (best !== undefined && earlier.at > best.earlier.at) break;
      if (earlier.ids.length <= later.ids.length) continue;
      budget.left -= earlier.ids.length + later.ids.length;
      if (budget.left < 0) break;
      if (sortedSubset(later.ids, earlier.ids)) {
        consider(earlier, "later-looser");
        break;
      }
    }
    if (best !== undefined) out.push(best);

    if (dup === undefined) firstByKey.set(later.key, later);
    first ??= later;
    if (anchor === undefined) firstEmpty ??= later;
    else {
      const list = anchored.get(anchor);
      if (list === undefined) anchored.set(anchor, [later]);
      else list.push(later);
    }
    for (const id of later.ids) {
      const list = holding.get(id);
      if (list === undefined) holding.set(id, [later]);
      else list.push(later);
    }
  }
  return out;
}

function redundancyIssue(r: Redundancy, at: readonly PathSegment[]): ValidationIssue {
  const earlier = r.earlier.set.set.index;
  const later = r.later.set.set.index;
  if (r.kind === "duplicate") {
    return { path: formatJsonPath([...at, later]), message: `duplicates set ${earlier}` };
  }
  const [strict, loose] = r.kind === "earlier-looser" ? [later, earlier] : [earlier, later];
  return {
    path: formatJsonPath([...at, strict]),
    message: `is shadowed by set ${loose}: same score and tags, and set ${loose} asks for a subset of the same labels and values, so it passes whenever this one does`,
  };
}
