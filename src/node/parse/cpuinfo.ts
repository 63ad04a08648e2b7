// /proc/cpuinfo: blocks of `key<TAB>: value` lines, one block per logical CPU, plus on some Arm
// kernels a header and a trailer block that belong to no CPU. Pure: text in, facts out.

import { canonicalCpuFeature } from "../../compat/canonical-names.js";

export type CpuinfoRecord = ReadonlyMap<string, string>;

export interface Cpuinfo {
  /** One record per block that has a `processor` line. */
  processors: CpuinfoRecord[];
  /** Keys of blocks without a `processor` line (old Arm kernels put `Processor`, `Hardware` there). */
  other: CpuinfoRecord;
}

export function parseCpuinfo(text: string): Cpuinfo {
  const processors: Map<string, string>[] = [];
  const other = new Map<string, string>();
  for (const block of text.split(/\n\s*\n/)) {
    const record = new Map<string, string>();
    for (const line of block.split("\n")) {
      const colon = line.indexOf(":");
      if (colon < 0) continue;
      const key = line.slice(0, colon).trim();
      if (key !== "") record.set(key, line.slice(colon + 1).trim());
    }
    if (record.size === 0) continue;
    if (record.has("processor")) processors.push(record);
    else for (const [k, v] of record) if (!other.has(k)) other.set(k, v);
  }
  return { processors, other };
}

/**
 * A cpuinfo flag in the canonical spelling that facts and values share (NFD's normalisation:
 * upper case, underscores removed, `avx512_fp16` → `AVX512FP16`; compat/canonical-names.ts).
 */
export function normalizeCpuFlag(flag: string): string {
  return canonicalCpuFeature(flag);
}

export interface CpuDescription {
  /** `vendor_id` on x86 (and s390x); the `CPU implementer` code as printed on Arm. */
  vendor?: string;
  /** Normalised flags every processor has (x86 `flags`, Arm `Features`), sorted. */
  flags?: string[];
  model?: string;
  family?: number;
  modelId?: number;
  processorCount: number;
}

function first(info: Cpuinfo, key: string): string | undefined {
  for (const p of info.processors) {
    const v = p.get(key);
    if (v !== undefined && v !== "") return v;
  }
  const v = info.other.get(key);
  return v === "" ? undefined : v;
}

function decimal(text: string | undefined): number | undefined {
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
}

/**
 * Flags present on every processor. A thread can migrate between cores, so on a machine whose
 * cores differ (big.LITTLE) only the common flags are safe for a program to use.
 */
function commonFlags(info: Cpuinfo): string[] | undefined {
  let common: Set<string> | undefined;
  const records = info.processors.length > 0 ? info.processors : [info.other];
  for (const record of records) {
    const line = record.get("flags") ?? record.get("Features");
    if (line === undefined) continue;
    const flags = new Set(line.split(/\s+/).filter(Boolean).map(normalizeCpuFlag));
    common = common === undefined ? flags : new Set([...common].filter((f) => flags.has(f)));
  }
  return common === undefined ? undefined : [...common].sort();
}

export function describeCpu(info: Cpuinfo): CpuDescription {
  const description: CpuDescription = { processorCount: info.processors.length };
  const vendor = first(info, "vendor_id") ?? first(info, "CPU implementer");
  if (vendor !== undefined) description.vendor = vendor;
  const flags = commonFlags(info);
  if (flags !== undefined) description.flags = flags;
  const model = first(info, "model name");
  if (model !== undefined) description.model = model;
  // Only x86 prints `cpu family`; its `model` line is the model number within that family.
  const family = decimal(first(info, "cpu family"));
  if (family !== undefined) {
    description.family = family;
    const modelId = decimal(first(info, "model"));
    if (modelId !== undefined) description.modelId = modelId;
  }
  return description;
}

/** A field of the first processor (or of the blocks outside processors). */
export function cpuinfoField(info: Cpuinfo, key: string): string | undefined {
  return first(info, key);
}
