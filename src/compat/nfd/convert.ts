// Converting between ocicompat compatibility sets and NFD image-compatibility specs
// (docs/interop.md#convert). Each direction maps what both can say exactly, and lists every part
// that the target cannot express, with its JSON path in the source; nothing is dropped silently.
// Where both can express a rule, a round trip gives back the same rule (names in canonical form).
//
// What maps (set items are `NAME` or `!NAME`; string values one name or `a|b` alternatives):
//   oci.cpu.features            cpu.cpuid            NAME: Exists / DoesNotExist (NFD's spelling)
//   oci.kernel.modules          kernel.loadedmodule  NAME: Exists / DoesNotExist
//   oci.kernel.configurations   kernel.config        NAME: In [true] / DoesNotExist
//   oci.pci.devices, usb        pci.device, usb.device   one term per ID: vendor In, device In
//   oci.cpu.vendor              cpu.model            vendor_id: In [Intel, AMD] (NFD's names)
//   oci.os.id                   system.osrelease     ID: In [...]
// A set is one NFD compatibility with one rule; its first tag is the tag, its score the weight.
// An NFD compatibility whose rules use matchAny becomes one set per choice (OR of ANDs).
import type { ValidationIssue } from "../../oci/errors.js";
import { formatJsonPath, type PathSegment } from "../../oci/json-path.js";
import { canonicalCpuFeature, canonicalDeviceId } from "../canonical-names.js";
import { nfdCpuidNames } from "./cpuid-flags.js";
import type { CompatibilitySet } from "../sets.js";
import type { NfdExpression } from "./expression.js";
import { NFD_SPEC_VERSION, type NfdCompatibility, type NfdSpec, type NfdTerm } from "./spec.js";
import { NFD_TO_VENDOR, VENDOR_TO_NFD } from "./vendors.js";

/** Something the target format cannot say, located in the source document. */
export type ConversionLoss = ValidationIssue;

export interface Conversion<T> {
  value: T;
  losses: ConversionLoss[];
}

type Expressions = Record<string, { op: string; value?: string[] }>;

export interface NfdTermDocument {
  feature: string;
  matchExpressions: Expressions;
}

export interface NfdSpecDocument {
  version: string;
  compatibilities: {
    description?: string;
    tag?: string;
    weight?: number;
    rules: { name: string; matchFeatures: NfdTermDocument[] }[];
  }[];
}

/** Flag-like set labels: each item is a name the node has (or, with `!`, lacks). */
const FLAG_LABELS: Readonly<Record<string, { feature: string; present: NfdExpression["op"] }>> = {
  "oci.cpu.features": { feature: "cpu.cpuid", present: "Exists" },
  "oci.kernel.modules": { feature: "kernel.loadedmodule", present: "Exists" },
  "oci.kernel.configurations": { feature: "kernel.config", present: "In" },
};

const DEVICE_LABELS: Readonly<Record<string, string>> = {
  "oci.pci.devices": "pci.device",
  "oci.usb.devices": "usb.device",
};

const SPECIAL = /[*?\\]/;

function loss(at: readonly PathSegment[], message: string): ConversionLoss {
  return { path: formatJsonPath(at), message };
}

/** `AVX2, !HYPERVISOR,` → [["AVX2", false], ["HYPERVISOR", true]]; undefined if not plain. */
function plainItems(value: string): [string, boolean][] | undefined {
  const items = value
    .split(",")
    .map((i) => i.trim())
    .filter((i, n, all) => i !== "" || n !== all.length - 1);
  if (items.some((i) => i === "" || i.includes("|") || SPECIAL.test(i) || i.slice(1).includes("!")))
    return undefined;
  return items.map((i) => (i.startsWith("!") ? [i.slice(1), true] : [i, false]));
}

/** The node architecture NFD rules are written for: it decides how NFD names CPU flags. */
export interface SetsToNfdOptions {
  /** Default amd64. */
  architecture?: string;
}

function setToTerms(
  set: CompatibilitySet,
  at: readonly PathSegment[],
  losses: ConversionLoss[],
  architecture: string,
): NfdTermDocument[] {
  const cpuFlags = nfdCpuidNames(architecture);
  const byFeature = new Map<string, Expressions>();
  const terms: NfdTermDocument[] = [];
  const add = (feature: string, name: string, e: { op: string; value?: string[] }): void => {
    let ex = byFeature.get(feature);
    if (ex === undefined) {
      ex = {};
      byFeature.set(feature, ex);
      terms.push({ feature, matchExpressions: ex });
    }
    ex[name] = e;
  };
  for (const [label, value] of Object.entries(set.labels)) {
    const where = [...at, label];
    const flag = Object.hasOwn(FLAG_LABELS, label) ? FLAG_LABELS[label] : undefined;
    const device = Object.hasOwn(DEVICE_LABELS, label) ? DEVICE_LABELS[label] : undefined;
    if (flag !== undefined) {
      const items = plainItems(value);
      if (items === undefined) {
        losses.push(
          loss(
            where,
            `"${value}": NFD has no alternatives (|) or globs; only plain and !negated names convert`,
          ),
        );
        continue;
      }
      for (const [name, negated] of items) {
        let key = name;
        if (label === "oci.cpu.features") {
          const canonical = canonicalCpuFeature(name);
          if (/^X86_64_V\d$/.test(canonical)) {
            losses.push(
              loss(
                where,
                `${name}: NFD has no x86-64 level flag; use the entry's platform variant`,
              ),
            );
            continue;
          }
          const nfd = cpuFlags?.get(canonical);
          if (nfd === undefined) {
            losses.push(
              loss(
                where,
                cpuFlags === undefined
                  ? `${name}: NFD's CPU flag names on ${architecture} nodes are not known to ocicompat`
                  : `${name}: NFD reports no cpu.cpuid flag of that name on ${architecture} nodes`,
              ),
            );
            continue;
          }
          key = nfd;
        }
        if (negated) add(flag.feature, key, { op: "DoesNotExist" });
        else if (flag.present === "In") add(flag.feature, key, { op: "In", value: ["true"] });
        else add(flag.feature, key, { op: "Exists" });
      }
    } else if (device !== undefined) {
      const items = plainItems(value);
      if (items === undefined || items.some(([, negated]) => negated)) {
        losses.push(
          loss(where, `"${value}": only plain vendor.device IDs convert (one NFD term per device)`),
        );
        continue;
      }
      for (const [id] of items) {
        const [vendor, dev, extra] = canonicalDeviceId(id).split(".");
        if (vendor === undefined || dev === undefined || extra !== undefined) {
          losses.push(loss(where, `${id}: not a vendor.device ID`));
          continue;
        }
        // One term per device: NFD matches all of a term's attributes on one instance.
        terms.push({
          feature: device,
          matchExpressions: {
            vendor: { op: "In", value: [vendor] },
            device: { op: "In", value: [dev] },
          },
        });
      }
    } else if (label === "oci.cpu.vendor" || label === "oci.os.id") {
      const alternatives = value.split("|").map((v) => v.trim());
      if (value.startsWith("!") || alternatives.some((v) => v === "" || SPECIAL.test(v))) {
        losses.push(loss(where, `"${value}": only a name or alternatives (a|b) convert`));
        continue;
      }
      if (label === "oci.os.id") {
        add("system.osrelease", "ID", { op: "In", value: alternatives });
        continue;
      }
      const names = alternatives.map((v) => VENDOR_TO_NFD.get(v));
      const unknown = alternatives.filter((_, i) => names[i] === undefined);
      if (unknown.length > 0) {
        losses.push(loss(where, `${unknown.join(", ")}: NFD has no name for this vendor`));
        continue;
      }
      add("cpu.model", "vendor_id", { op: "In", value: names as string[] });
    } else {
      losses.push(loss(where, `${label} has no NFD feature that ocicompat can express it with`));
    }
  }
  return terms;
}

/** ocicompat sets (read by readSets) → an NFD spec document. */
export function setsToNfd(
  sets: readonly CompatibilitySet[],
  options: SetsToNfdOptions = {},
): Conversion<NfdSpecDocument> {
  const losses: ConversionLoss[] = [];
  const architecture = options.architecture ?? "amd64";
  const compatibilities = sets.flatMap((set) => {
    const at = ["compatibilities", set.index];
    const terms = setToTerms(set, at, losses, architecture);
    if (terms.length === 0) {
      // An empty rule would match every node: a set with nothing left is left out.
      losses.push(loss(at, "nothing in this set can be expressed in NFD: the set is left out"));
      return [];
    }
    if (set.tags.length > 1)
      losses.push(
        loss(
          [...at, "tags"],
          `NFD has one tag per compatibility: ${set.tags[0] ?? ""} is kept, ${set.tags.slice(1).join(", ")} not`,
        ),
      );
    return {
      ...(set.description === undefined ? {} : { description: set.description }),
      ...(set.tags[0] === undefined ? {} : { tag: set.tags[0] }),
      ...(set.score === 0 ? {} : { weight: set.score }),
      rules: [{ name: `set ${set.index}`, matchFeatures: terms }],
    };
  });
  return { value: { version: NFD_SPEC_VERSION, compatibilities }, losses };
}

// ---- NFD → ocicompat -------------------------------------------------------------------------

/** At most this many sets come out of one compatibility's matchAny choices. */
const MAX_EXPANSION = 64;

type Labels = Map<string, string[]>;

function addItem(labels: Labels, label: string, item: string): void {
  const list = labels.get(label) ?? [];
  list.push(item);
  labels.set(label, list);
}

function termToLabels(
  term: NfdTerm,
  labels: Labels,
  at: readonly PathSegment[],
  losses: ConversionLoss[],
): void {
  const where = [...at, term.feature];
  if (term.matchName !== undefined) {
    losses.push(loss(where, "matchName has no ocicompat equivalent"));
    return;
  }
  const flagLabel = Object.entries(FLAG_LABELS).find(([, f]) => f.feature === term.feature)?.[0];
  const deviceLabel = Object.entries(DEVICE_LABELS).find(([, f]) => f === term.feature)?.[0];
  const byName = new Map(term.expressions);
  if (flagLabel !== undefined || term.feature === "kernel.enabledmodule") {
    const label = flagLabel ?? "oci.kernel.modules";
    for (const [name, e] of term.expressions) {
      const item = label === "oci.cpu.features" ? canonicalCpuFeature(name) : name;
      const present =
        e.op === "Exists" ||
        (label === "oci.kernel.configurations" &&
          e.op === "In" &&
          e.value.length === 1 &&
          e.value[0] === "true");
      if (present) addItem(labels, label, item);
      else if (e.op === "DoesNotExist") addItem(labels, label, `!${item}`);
      else
        losses.push(
          loss(
            [...where, name],
            `${e.op} ${e.value.join(", ")}: only Exists and DoesNotExist convert`,
          ),
        );
    }
    return;
  }
  if (deviceLabel !== undefined) {
    const vendor = byName.get("vendor");
    const device = byName.get("device");
    const single = (e: NfdExpression | undefined): string | undefined =>
      e?.op === "In" && e.value.length === 1 ? e.value[0] : undefined;
    const v = single(vendor);
    const d = single(device);
    if (term.expressions.length === 2 && v !== undefined && d !== undefined) {
      addItem(labels, deviceLabel, canonicalDeviceId(`${v}.${d}`));
    } else {
      losses.push(
        loss(
          where,
          "ocicompat names devices by vendor.device only: other attributes (class, subsystem) and their pairing on one device cannot be expressed",
        ),
      );
    }
    return;
  }
  const only = term.expressions.length === 1 ? term.expressions[0] : undefined;
  if (term.feature === "cpu.model" && only?.[0] === "vendor_id" && only[1].op === "In") {
    const ours = only[1].value.map((v) => NFD_TO_VENDOR.get(v.toLowerCase()));
    if (ours.every((v) => v !== undefined)) {
      labels.set("oci.cpu.vendor", [ours.join("|")]);
      return;
    }
  }
  if (term.feature === "system.osrelease" && only?.[0] === "ID" && only[1].op === "In") {
    labels.set("oci.os.id", [only[1].value.join("|")]);
    return;
  }
  losses.push(
    loss(
      where,
      `${term.feature} ${term.expressions.map(([n, e]) => `${n} ${e.op}`).join(", ")}: no ocicompat label expresses it`,
    ),
  );
}

/** Every way to pick one matchAny element per rule, as term lists (with the rule's own terms). */
function choices(c: NfdCompatibility): { terms: NfdTerm[]; at: PathSegment[] }[][] | undefined {
  let out: { terms: NfdTerm[]; at: PathSegment[] }[][] = [[]];
  c.rules.forEach((rule, r) => {
    const at: PathSegment[] = ["compatibilities", c.index, "rules", r];
    const base = { terms: [...rule.matchFeatures], at: [...at, "matchFeatures"] };
    const alternatives =
      rule.matchAny.length === 0
        ? [[]]
        : rule.matchAny.map((el, i) => [
            { terms: [...el], at: [...at, "matchAny", i, "matchFeatures"] },
          ]);
    out = out.flatMap((prefix) => alternatives.map((alt) => [...prefix, base, ...alt]));
  });
  return out.length > MAX_EXPANSION ? undefined : out;
}

/** An NFD spec → ocicompat authoring sets (OR of ANDs). */
export function nfdToSets(
  spec: NfdSpec,
): Conversion<{ compatibilities: Record<string, unknown>[] }> {
  const losses: ConversionLoss[] = [];
  const out: Record<string, unknown>[] = [];
  for (const c of spec.compatibilities) {
    const picks = choices(c);
    if (picks === undefined) {
      losses.push(
        loss(
          ["compatibilities", c.index],
          `its matchAny choices make more than ${MAX_EXPANSION} sets`,
        ),
      );
      continue;
    }
    for (const pick of picks) {
      const labels: Labels = new Map();
      for (const group of pick)
        for (const t of group.terms) termToLabels(t, labels, group.at, losses);
      if (labels.size === 0) {
        // A set without labels would pass on every node.
        losses.push(
          loss(
            ["compatibilities", c.index],
            "nothing in this choice of rules can be expressed as ocicompat labels: left out",
          ),
        );
        continue;
      }
      const set: Record<string, unknown> = {};
      for (const [label, items] of labels) set[label] = items.join(", ");
      if (c.tag !== undefined) set["tags"] = [c.tag];
      if (c.description !== undefined) set["description"] = c.description;
      if (c.weight !== 0) set["score"] = c.weight;
      out.push(set);
    }
  }
  // Expansion repeats a loss once per choice: report each once.
  const seen = new Set<string>();
  const unique = losses.filter((l) => {
    const key = `${l.path} ${l.message}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
  return { value: { compatibilities: out }, losses: unique };
}
