// What one `key=value` line declares. A plain key is an ocicompat label (aliases allowed) and its
// value is read as the label's type; a key in NFD's namespace is read the way NFD's labels are
// (feature.node.kubernetes.io/cpu-cpuid.AVX512F=true adds AVX512F to oci.cpu.features); any
// other namespaced key (vendor.example/x) is kept as it is, as a string fact.
import type { LabelCatalog } from "../../compat/catalog.js";
import type { Fact } from "../../compat/label-types.js";
import { readNfdLabel } from "../nfd/label-facts.js";
import { NFD_LABEL_PREFIX } from "../nfd/names.js";
import { factFromText } from "./typed-fact.js";

export type SiteEntry = { facts: { label: string; fact: Fact }[] } | { problem: string };

export function readSiteEntry(key: string, value: string, catalog: LabelCatalog): SiteEntry {
  if (key.startsWith(NFD_LABEL_PREFIX)) {
    const reading = readNfdLabel(key.slice(NFD_LABEL_PREFIX.length), value);
    if (reading !== undefined) return { facts: reading.facts };
    return { facts: [{ label: key, fact: value }] };
  }
  if (key.includes("/")) return { facts: [{ label: key, fact: value }] };
  const def = catalog.get(key);
  const result = factFromText(def?.type ?? "string", value);
  if ("problem" in result)
    return { problem: `${key}: ${result.problem} (a ${def?.type ?? "string"} label)` };
  return { facts: [{ label: def?.name ?? key, fact: result.fact }] };
}
