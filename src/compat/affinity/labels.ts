// One compatibility label's value as node selector terms over NFD's labels. Per label and value:
// exact (the terms admit a node exactly when the value passes on its facts), approximate (the
// terms admit more nodes than the value; reported), or inexpressible (left out; reported). Terms
// are never stricter than the value, so a node that fits is never kept away; the node-side check
// (`check`, the mirror) still enforces what the labels cannot say.
import type { CompiledLabel } from "../compiled-set.js";
import { canonicalCpuFeature } from "../canonical-names.js";
import { parsePatternList, type PatternList } from "../value/pattern.js";
import { parseRange, type Interval } from "../value/range.js";
import { boundsOf, type Bounds } from "../value/range-bounds.js";
import { quantityType } from "../value/quantity.js";
import { LOWEST_TAG } from "../value/version.js";
import { versionType } from "../value/version-range.js";
import {
  ANY_NODE,
  NO_NODE,
  and,
  andAll,
  or,
  term,
  type Constraint,
  type Dnf,
  type Term,
} from "./terms.js";
import type { NfdVocabulary } from "./vocabulary.js";

export type Fidelity = "exact" | "approximate" | "inexpressible";

export interface LabelTranslation {
  dnf: Dnf;
  fidelity: Fidelity;
  /** Why it is not exact, said precisely enough to act on. */
  reason?: string;
}

/** NFD's numeric labels for a version label's leading components, most significant first. */
export const VERSION_KEYS: Readonly<Record<string, readonly string[]>> = {
  "oci.kernel.version": ["kernel-version.major", "kernel-version.minor", "kernel-version.revision"],
  "oci.os.version": ["system-os_release.VERSION_ID.major", "system-os_release.VERSION_ID.minor"],
};

/** NFD's integer labels for quantity labels. */
const INTEGER_KEYS: Readonly<Record<string, string>> = {
  "oci.cpu.family": "cpu-model.family",
  "oci.cpu.model-id": "cpu-model.id",
};

const LABEL_VALUE = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

const exact = (dnf: Dnf): LabelTranslation => ({ dnf, fidelity: "exact" });
const inexpressible = (reason: string): LabelTranslation => ({
  dnf: ANY_NODE,
  fidelity: "inexpressible",
  reason,
});

/** The node architectures a translation is for, which decide how NFD names CPU flags there. */
export interface NodeArchitectures {
  architectures: readonly string[];
  /** vocab.cpuFlags of those architectures (one table: they name flags alike). */
  cpuFlags: ReadonlyMap<string, string> | undefined;
}

/** Why a CPU flag has no label on these nodes, said per architecture. */
export function unlabelledFlagReason(nodes: NodeArchitectures): string {
  const arches = nodes.architectures.join("/");
  return nodes.cpuFlags === undefined
    ? `NFD's CPU flag names on ${arches} nodes are not known to ocicompat`
    : `NFD publishes no cpu-cpuid label for it on ${arches} nodes (NFD does not report the flag there, its default configuration hides it, or it is an x86-64 level)`;
}

export function translateLabel(
  label: CompiledLabel,
  vocab: NfdVocabulary,
  nodes: NodeArchitectures,
): LabelTranslation {
  const value = label.matcher.source;
  const name = label.canonical;
  if (!label.matcher.satisfiable) return exact(NO_NODE);
  const versionKeys = VERSION_KEYS[name];
  if (label.type === "version" && versionKeys !== undefined) {
    return versionTerms(
      value,
      versionKeys.map((k) => vocab.prefix + k),
    );
  }
  const integerKey = INTEGER_KEYS[name];
  if (label.type === "quantity" && integerKey !== undefined) {
    return integerTerms(value, vocab.prefix + integerKey);
  }
  switch (name) {
    case "oci.cpu.features":
      return setTerms(
        value,
        label,
        (n) => {
          if (n.kind !== "name") return undefined;
          const flag = nodes.cpuFlags?.get(canonicalCpuFeature(n.text));
          return flag === undefined ? undefined : `${vocab.prefix}cpu-cpuid.${flag}`;
        },
        unlabelledFlagReason(nodes),
      );
    case "oci.kernel.configurations":
      return setTerms(
        value,
        label,
        (n) => {
          if (n.kind !== "name") return undefined;
          const option = n.text.toUpperCase().replace(/^CONFIG_/, "");
          return vocab.kernelConfig.has(option)
            ? `${vocab.prefix}kernel-config.${option}`
            : undefined;
        },
        `NFD labels only the kernel options ${[...vocab.kernelConfig].join(", ")} by default`,
      );
    case "oci.kernel.selinux":
      return exact([
        term(`${vocab.prefix}kernel-selinux.enabled`, { exists: /true/i.test(value) }),
      ]);
    case "oci.cpu.vendor":
      return stringTerms(value, `${vocab.prefix}cpu-model.vendor_id`, (v) => vocab.vendor(v));
    case "oci.os.id":
      // os-release IDs are lower case by definition, and the string match ignores case.
      return stringTerms(value, `${vocab.prefix}system-os_release.ID`, (v) => v.toLowerCase());
  }
  // A namespaced label from a features.d file: NFD publishes it as it is, and label values
  // compare with case while the string match ignores it, so only a value without letters (a
  // number, a version) says exactly the same thing; any other is left to the node-side check.
  if (name.includes("/") && label.type === "string") {
    if (/[A-Za-z]/.test(value)) {
      return inexpressible(
        `node label values compare with case, and ${name}'s string match ignores it`,
      );
    }
    return stringTerms(value, name, (v) => v);
  }
  return inexpressible(`NFD publishes no node label for ${name}`);
}

// ---- sets ----------------------------------------------------------------------------------

type Name = { kind: "name"; text: string } | { kind: "pattern"; text: string };

function setItems(value: string, label: CompiledLabel): PatternList[] {
  const items: PatternList[] = [];
  let start = 0;
  const finish = (end: number): void => {
    if (value.slice(start, end).trim() === "") return;
    const parsed = parsePatternList(value, start, end, label.names);
    if ("list" in parsed) items.push(parsed.list);
  };
  for (let i = 0; i < value.length; i++) {
    const ch = value.charAt(i);
    if (ch === "\\") i++;
    else if (ch === ",") {
      finish(i);
      start = i + 1;
    }
  }
  finish(value.length);
  return items;
}

function nameOf(p: PatternList["alternatives"][number]): Name {
  const only = p.parts[0];
  if (p.parts.length === 1 && only?.kind === "text") return { kind: "name", text: only.text };
  return {
    kind: "pattern",
    text: p.parts.map((x) => (x.kind === "text" ? x.text : x.kind === "star" ? "*" : "?")).join(""),
  };
}

function setTerms(
  value: string,
  label: CompiledLabel,
  keyOf: (n: Name) => string | undefined,
  why: string,
): LabelTranslation {
  const parts: Dnf[] = [];
  const missed: string[] = [];
  let fidelity: Fidelity = "exact";
  for (const item of setItems(value, label)) {
    const names = item.alternatives.map(nameOf);
    const keys = names.map(keyOf);
    const lost = names.filter((_, i) => keys[i] === undefined).map((n) => n.text);
    if (item.negated) {
      // Each forbidden name is its own DoesNotExist; one that cannot be said is left out.
      for (const key of keys) if (key !== undefined) parts.push([term(key, { exists: false })]);
      if (lost.length > 0) {
        missed.push(...lost.map((n) => `!${n}`));
        fidelity = "approximate";
      }
      continue;
    }
    if (lost.length > 0) {
      // "A|B" with B unsayable: requiring A alone would keep B's nodes away, so the item goes.
      missed.push(names.map((n) => n.text).join("|"));
      fidelity = "approximate";
      continue;
    }
    parts.push(or(...keys.map((k) => [term(k as string, { exists: true })])));
  }
  const dnf = andAll(parts);
  if (missed.length === 0) return exact(dnf);
  const all = parts.length === 0;
  return {
    dnf,
    fidelity: all ? "inexpressible" : fidelity,
    reason: `${missed.join(", ")}: ${why}; globs have no label either`,
  };
}

// ---- strings -------------------------------------------------------------------------------

function stringTerms(
  value: string,
  key: string,
  spell: (written: string) => string | undefined,
): LabelTranslation {
  const parsed = parsePatternList(value, 0, value.length);
  if (!("list" in parsed)) return inexpressible("the value does not parse");
  const names = parsed.list.alternatives.map(nameOf);
  const values: string[] = [];
  const lost: string[] = [];
  for (const n of names) {
    const v = n.kind === "name" ? spell(n.text) : undefined;
    if (v === undefined || !LABEL_VALUE.test(v) || v.length > 63) lost.push(n.text);
    else values.push(v);
  }
  if (parsed.list.negated) {
    if (values.length === 0) return inexpressible(`${lost.join("|")}: no label value says it`);
    const t = [term(key, { notIn: new Set(values) })];
    return lost.length === 0
      ? exact(t)
      : { dnf: t, fidelity: "approximate", reason: `${lost.join("|")}: no label value says it` };
  }
  if (lost.length > 0) {
    return inexpressible(
      `${lost.join("|")}: no label value says it (a glob, or a name NFD spells differently)`,
    );
  }
  return exact([term(key, { in: new Set(values) })]);
}

// ---- ordered values ------------------------------------------------------------------------

type Parts = readonly number[];

function pieces<V>(b: Bounds<V>, compare: (a: V, b: V) => number): Interval<V>[] {
  let out: Interval<V>[] = [{ ...b }];
  const nonEmpty = (i: Interval<V>): boolean => {
    if (i.lower === undefined || i.upper === undefined) return true;
    const c = compare(i.lower, i.upper);
    return c < 0 || (c === 0 && i.lowerInclusive && i.upperInclusive);
  };
  for (const cut of b.excluded) {
    out = out.flatMap((i) => {
      const res: Interval<V>[] = [];
      if (cut.lower !== undefined) {
        const left = { ...i };
        const c = left.upper === undefined ? -1 : compare(cut.lower, left.upper);
        if (c <= 0) {
          left.upper = cut.lower;
          left.upperInclusive = !cut.lowerInclusive && (c < 0 || left.upperInclusive);
        }
        res.push(left);
      }
      if (cut.upper !== undefined) {
        const right = { ...i };
        const c = right.lower === undefined ? 1 : compare(cut.upper, right.lower);
        if (c >= 0) {
          right.lower = cut.upper;
          right.lowerInclusive = !cut.upperInclusive && (c > 0 || right.lowerInclusive);
        }
        res.push(right);
      }
      return res.filter(nonEmpty);
    });
  }
  return out.filter(nonEmpty);
}

/**
 * A version bound as a bound on the label tuple: the components the labels carry, and whether the
 * bound falls between two tuples (exact) or inside one (approximate). `X-alpha` (the least
 * version starting with X, where `>X'` and `<=X'` end) is the tuple X: a node on an X pre-release
 * is labelled X, and such a bound admits it on both sides.
 */
function tupleBound(p: Parts, n: number): { tuple: number[]; exact: boolean } {
  const tag = p.findIndex((x) => x < 0);
  const nums = tag < 0 ? [...p] : p.slice(0, tag);
  const alphaEnd = tag === p.length - 1 && p[tag] === LOWEST_TAG;
  while (nums.length > 0 && nums[nums.length - 1] === 0) nums.pop();
  const fits = nums.length <= n;
  return { tuple: nums.slice(0, n), exact: fits && (tag < 0 || alphaEnd) };
}

/**
 * The first `count` keys equal to b's components, said as Gt/Lt: NFD writes VERSION_ID's parts as
 * they appear (`22.04` gives minor `04`), which Gt/Lt read as numbers and In would not. NFD omits
 * a minor (or later) label the version does not write (Debian `12` has no minor), and the value
 * language reads the missing component as 0: so a 0 after the first key is also met by absence.
 */
function prefixEqual(
  b: readonly number[],
  keys: readonly string[],
  count: number,
): Map<string, Constraint>[] {
  let terms: Map<string, Constraint>[] = [new Map()];
  for (let j = 0; j < count; j++) {
    const key = keys[j] as string;
    const v = b[j] as number;
    const alternatives: Constraint[] =
      j >= 1 && v === 0 ? [{ gt: -1, lt: 1 }, { exists: false }] : [{ gt: v - 1, lt: v + 1 }];
    terms = terms.flatMap((t) => alternatives.map((c) => new Map(t).set(key, c)));
  }
  return terms;
}

/** Tuple ≥ b, over the keys (b without trailing zeros). */
function atLeast(b: readonly number[], keys: readonly string[]): Dnf {
  if (b.length === 0) return ANY_NODE;
  const out: Term[] = [];
  for (let i = 0; i < b.length; i++) {
    const last = i === b.length - 1;
    for (const t of prefixEqual(b, keys, i)) {
      t.set(keys[i] as string, { gt: (b[i] as number) - (last ? 1 : 0) });
      out.push(t);
    }
  }
  return out;
}

/** Tuple < b. An absent label after the first reads as 0, which is below any b[i] > 0. */
function below(b: readonly number[], keys: readonly string[]): Dnf {
  const out: Term[] = [];
  for (let i = 0; i < b.length; i++) {
    if ((b[i] as number) <= 0) continue;
    for (const t of prefixEqual(b, keys, i)) {
      const absent = new Map(t);
      t.set(keys[i] as string, { lt: b[i] as number });
      out.push(t);
      if (i >= 1) out.push(absent.set(keys[i] as string, { exists: false }));
    }
  }
  return out;
}

function roundUp(tuple: readonly number[], n: number): number[] {
  const t = [...tuple];
  while (t.length < n) t.push(0);
  t[n - 1] = (t[n - 1] as number) + 1;
  while (t.length > 0 && t[t.length - 1] === 0) t.pop();
  return t;
}

function versionTerms(value: string, keys: readonly string[]): LabelTranslation {
  const parsed = parseRange(value, versionType);
  if (!parsed.ok) return inexpressible("the value does not parse");
  const n = keys.length;
  const loose: string[] = [];
  const alternatives: Dnf[] = [];
  for (const alt of parsed.ast) {
    for (const piece of pieces(boundsOf(alt, versionType), versionType.compare)) {
      let dnf: Dnf = ANY_NODE;
      // Version spans are [lower, upper): lower ends are inclusive, upper ends exclusive.
      if (piece.lower !== undefined) {
        const b = tupleBound(piece.lower, n);
        if (!b.exact) loose.push(`lower end ${describe(piece.lower)}`);
        dnf = and(dnf, atLeast(b.tuple, keys));
      }
      if (piece.upper !== undefined) {
        const b = tupleBound(piece.upper, n);
        const tuple = b.exact ? b.tuple : roundUp(b.tuple, n);
        if (!b.exact) loose.push(`upper end ${describe(piece.upper)}`);
        dnf = and(dnf, below(tuple, keys));
      }
      alternatives.push(dnf);
    }
  }
  const dnf = or(...alternatives);
  if (loose.length === 0) return exact(dnf);
  return {
    dnf,
    fidelity: "approximate",
    reason: `${loose.join(", ")}: NFD's numeric labels carry the first ${n} components and no pre-release, so the bound is widened to the nearest ${n}-component version`,
  };
}

function describe(p: Parts): string {
  return p.map((x) => (x < 0 ? ["alpha", "beta", "pre", "rc"][x + 4] : String(x))).join(".");
}

function integerTerms(value: string, key: string): LabelTranslation {
  const parsed = parseRange(value, quantityType);
  if (!parsed.ok) return inexpressible("the value does not parse");
  const alternatives: Dnf[] = [];
  for (const alt of parsed.ast) {
    for (const i of pieces(boundsOf(alt, quantityType), quantityType.compare)) {
      const c: Constraint = {};
      if (i.lower !== undefined) {
        c.gt = i.lowerInclusive ? Math.ceil(i.lower) - 1 : Math.floor(i.lower);
      }
      if (i.upper !== undefined) {
        c.lt = i.upperInclusive ? Math.floor(i.upper) + 1 : Math.ceil(i.upper);
      }
      if (c.gt !== undefined && c.lt !== undefined && c.lt - c.gt < 2) continue;
      // With no bound at all, the label must still be there, as the fact must for the value.
      alternatives.push([term(key, Object.keys(c).length > 0 ? c : { exists: true })]);
    }
  }
  return exact(or(...alternatives));
}
