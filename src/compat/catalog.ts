// The label catalog: what each compatibility label means, its value type, where the fact comes
// from on Linux, and its NFD counterpart. `ocicompat explain`, `validate` and docs/labels.md all read
// it, so a label's meaning is written down exactly once. The built-in definitions live in
// catalog-cpu.ts, catalog-software.ts and catalog-hardware.ts; this module joins them, adds label
// packs and looks names up.

import { OcicompatError } from "../oci/errors.js";
import { CPU_LABELS } from "./catalog-cpu.js";
import {
  ACCELERATOR_LABELS,
  DEVICE_LABELS,
  MEMORY_LABELS,
  SYSTEM_LABELS,
} from "./catalog-hardware.js";
import { KERNEL_LABELS, OS_LABELS, RUNTIME_LABELS } from "./catalog-software.js";
import { define, type LabelDefinition } from "./label-definition.js";
import { RESERVED_KEYS } from "./sets.js";

export interface LabelCatalog {
  get(nameOrAlias: string): LabelDefinition | undefined;
  list(): readonly LabelDefinition[];
  canonicalName(nameOrAlias: string): string | undefined;
}

export { RESERVED_KEYS };

// In the order docs/labels.md and `ocicompat labels` list them.
export const BUILTIN_LABELS: readonly LabelDefinition[] = Object.freeze([
  ...CPU_LABELS,
  ...KERNEL_LABELS,
  ...OS_LABELS,
  ...DEVICE_LABELS,
  ...MEMORY_LABELS,
  ...ACCELERATOR_LABELS,
  ...SYSTEM_LABELS,
  ...RUNTIME_LABELS,
]);

function addKey(map: Map<string, LabelDefinition>, key: string, def: LabelDefinition): void {
  if (map.has(key)) {
    // A duplicate inside BUILTIN_LABELS is a bug in catalog-*.ts, caught by the catalog tests.
    throw new OcicompatError("INTERNAL", `label catalog defines ${key} twice`, { subject: key });
  }
  map.set(key, def);
}

const builtinByKey: ReadonlyMap<string, LabelDefinition> = (() => {
  const map = new Map<string, LabelDefinition>();
  for (const def of BUILTIN_LABELS) {
    for (const key of [def.name, ...def.aliases]) addKey(map, key, def);
  }
  return map;
})();

function conflict(key: string, message: string): OcicompatError {
  return new OcicompatError("VALIDATION", message, { subject: key });
}

/**
 * The built-in catalog plus label-pack labels, in the order the packs were given.
 *
 * Rules for pack labels:
 * - a reserved set key (`tags`, `score`, ...) can't be a label name or alias;
 * - reusing a built-in name or alias with a different type is an error, because images
 *   already use that label with the built-in meaning;
 * - reusing one with the same type is accepted and the built-in definition stays, so no pack
 *   can change what a built-in label means;
 * - otherwise a later pack label takes over every name and alias it claims: an earlier label
 *   with the same name is replaced, one that only shared an alias loses that alias.
 */
export function createCatalog(extra: readonly LabelDefinition[] = []): LabelCatalog {
  if (extra.length === 0) return catalogOf(BUILTIN_LABELS, builtinByKey);

  let packs: LabelDefinition[] = [];
  for (const def of extra) {
    const claimed: string[] = [];
    for (const key of new Set([def.name, ...def.aliases])) {
      if (RESERVED_KEYS.includes(key)) {
        throw conflict(key, `label ${def.name}: ${key} is a reserved compatibility-set key`);
      }
      const builtin = builtinByKey.get(key);
      if (builtin === undefined) {
        claimed.push(key);
      } else if (builtin.type !== def.type) {
        throw conflict(
          key,
          `label ${def.name}: ${key} is the built-in label ${builtin.name} of type ` +
            `${builtin.type}; a label pack can't redefine it as ${def.type}`,
        );
      }
    }
    // The built-in definition of this name wins; nothing of the pack label remains.
    if (!claimed.includes(def.name)) continue;

    const taken = new Set(claimed);
    packs = packs
      .filter((earlier) => !taken.has(earlier.name))
      .map((earlier) =>
        earlier.aliases.some((a) => taken.has(a))
          ? define({ ...earlier, aliases: earlier.aliases.filter((a) => !taken.has(a)) })
          : earlier,
      );
    packs.push(define({ ...def, aliases: claimed.filter((k) => k !== def.name) }));
  }

  const byKey = new Map(builtinByKey);
  for (const def of packs) {
    for (const key of [def.name, ...def.aliases]) addKey(byKey, key, def);
  }
  return catalogOf(Object.freeze([...BUILTIN_LABELS, ...packs]), byKey);
}

function catalogOf(
  all: readonly LabelDefinition[],
  byKey: ReadonlyMap<string, LabelDefinition>,
): LabelCatalog {
  return {
    get: (nameOrAlias) => byKey.get(nameOrAlias),
    list: () => all,
    canonicalName: (nameOrAlias) => byKey.get(nameOrAlias)?.name,
  };
}

/** Optimal string alignment distance (edits, with adjacent swaps), giving up above `max`. */
function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      let d = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      );
      if (
        i > 1 &&
        j > 1 &&
        a.charCodeAt(i - 1) === b.charCodeAt(j - 2) &&
        a.charCodeAt(i - 2) === b.charCodeAt(j - 1)
      ) {
        d = Math.min(d, (before[j - 2] as number) + 1);
      }
      current.push(d);
      best = Math.min(best, d);
    }
    if (best > max) return max + 1;
    before = previous;
    previous = current;
  }
  return previous[b.length] as number;
}

/** How far a misspelt label may be from the name it was meant to be: two edits. */
export const LABEL_TYPO_DISTANCE = 2;

/**
 * The catalog name or alias an unknown label is probably a misspelling of (`oci.cpu.featurs` →
 * `oci.cpu.features`), compared without case; undefined when none is within
 * {@link LABEL_TYPO_DISTANCE} edits or two are equally close.
 */
export function suggestLabel(catalog: LabelCatalog, name: string): string | undefined {
  const wanted = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = LABEL_TYPO_DISTANCE + 1;
  let tie = false;
  for (const def of catalog.list()) {
    for (const key of [def.name, ...def.aliases]) {
      const d = editDistance(wanted, key.toLowerCase(), LABEL_TYPO_DISTANCE);
      if (d < bestDistance) {
        best = def.name;
        bestDistance = d;
        tie = false;
      } else if (d === bestDistance && best !== def.name) {
        tie = true;
      }
    }
  }
  return best === undefined || tie ? undefined : best;
}
