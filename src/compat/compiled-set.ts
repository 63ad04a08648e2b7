// A compatibility set compiled once: each label resolved in the catalog and its value parsed
// into a matcher. Compilation reports syntax problems; evaluation never has to.
import type { ValidationIssue } from "../oci/errors.js";
import { childPath, formatJsonPath, type PathSegment } from "../oci/json-path.js";
import { isKnownName, type NameForm } from "./canonical-names.js";
import { suggestLabel, type LabelCatalog } from "./catalog.js";
import type { LabelDefinition } from "./label-definition.js";
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
 * Duplicate sets: the same labels and values (by meaning, not spelling), score and tags. Only a
 * duplicate can go without changing any outcome. A stricter set (a looser one's labels plus more)
 * is not redundant even when the looser one passes whenever it does: selection ranks an entry by
 * its best passing set's labels, so removing it can change which image is chosen. One map lookup
 * per set, so 10k sets cost no more than their size.
 */
function redundancyWarnings(
  compiled: readonly CompiledSet[],
  at: readonly PathSegment[],
): ValidationIssue[] {
  const firstByKey = new Map<string, number>();
  const warnings: ValidationIssue[] = [];
  for (const c of compiled) {
    const key = JSON.stringify([c.set.score, [...c.set.tags].sort(), signaturePairs(c).sort()]);
    const earlier = firstByKey.get(key);
    if (earlier === undefined) firstByKey.set(key, c.set.index);
    else {
      warnings.push({
        path: formatJsonPath([...at, c.set.index]),
        message: `duplicates set ${earlier}`,
      });
    }
  }
  return warnings;
}

/** The canonical labels a set of compiled compatibility sets needs facts for. */
export function labelsNeededBy(sets: readonly CompiledSet[]): Set<string> {
  const labels = new Set<string>();
  for (const set of sets) for (const label of set.labels) labels.add(label.canonical);
  return labels;
}
