// A compatibility set compiled once: each label resolved in the catalog and its value parsed
// into a matcher. Compilation reports syntax problems; evaluation never has to.
import type { ValidationIssue } from "../oci/errors.js";
import { childPath, formatJsonPath, type PathSegment } from "../oci/json-path.js";
import type { LabelCatalog } from "./catalog.js";
import type { LabelType } from "./label-types.js";
import type { CompatibilitySet } from "./sets.js";
import { compileValue, type Matcher } from "./value/index.js";

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
      if (!def) {
        warnings.push({
          path,
          message: `unknown label "${label}": matched as a plain string (a label pack can declare its type)`,
        });
      }
      const type = def?.type ?? "string";
      const result = compileValue(type, value);
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
      labels.push({
        label,
        canonical,
        type,
        known: def !== undefined,
        matcher: result.matcher,
        slot: slotOf(type, canonical),
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

/** Canonical label → canonical value text, to compare sets by meaning rather than spelling. */
function signature(c: CompiledSet): Map<string, string> {
  return new Map(c.labels.map((l) => [l.canonical, l.matcher.print()]));
}

/**
 * Duplicate sets: same labels and values, score and tags. Only a duplicate can go without
 * changing any outcome. A stricter set (a looser one's labels plus more) is not redundant even
 * when the looser one passes whenever it does: selection ranks an entry by its best passing
 * set's labels, so removing it can change which image is chosen.
 */
function redundancyWarnings(
  compiled: readonly CompiledSet[],
  at: readonly PathSegment[],
): ValidationIssue[] {
  const warnings: ValidationIssue[] = [];
  const sigs = compiled.map(signature);
  const sameGroup = (a: CompiledSet, b: CompiledSet): boolean =>
    a.set.score === b.set.score &&
    [...a.set.tags].sort().join("\u0000") === [...b.set.tags].sort().join("\u0000");
  compiled.forEach((later, j) => {
    for (let i = 0; i < j; i++) {
      const earlier = compiled[i] as CompiledSet;
      if (!sameGroup(earlier, later)) continue;
      const a = sigs[i] as Map<string, string>;
      const b = sigs[j] as Map<string, string>;
      if (a.size === b.size && subsetOf(a, b)) {
        const path = formatJsonPath([...at, later.set.index]);
        warnings.push({ path, message: `duplicates set ${earlier.set.index}` });
        return;
      }
    }
  });
  return warnings;
}

function subsetOf(small: ReadonlyMap<string, string>, big: ReadonlyMap<string, string>): boolean {
  for (const [k, v] of small) if (big.get(k) !== v) return false;
  return true;
}
