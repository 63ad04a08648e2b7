// One compatibility label's value as node selector terms over NFD's labels. Per label and value:
// exact (the terms admit a node exactly when the value passes on its facts), approximate (the
// terms admit more nodes than the value; reported), or inexpressible (left out; reported). Terms
// are never stricter than the value, so a node that fits is never kept away; the node-side check
// (`check`, the mirror) still enforces what the labels cannot say.
import type { CompiledLabel } from "../compiled-set.js";
import { canonicalCpuFeature } from "../canonical-names.js";
import { parsePatternList, type PatternList } from "../value/pattern.js";
import { NO_NODE, andAll, or, term, type Dnf } from "./terms.js";
import { exact, inexpressible, type Fidelity, type LabelTranslation } from "./translation.js";
import { integerTerms, versionTerms } from "./ordered-terms.js";
import type { NfdVocabulary } from "./vocabulary.js";

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
