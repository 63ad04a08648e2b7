// Budgets on what one image may make select and check read and compile (issue #12.3). The 4 MiB
// cap holds per document; these hold per image, so that many entries each at the cap, or one
// document packed with sets, labels or alternatives, fail fast with an error that names the entry
// and the budget instead of costing gigabytes and minutes. Everything here counts raw JSON before
// it is validated or compiled, in one pass over what was already parsed.
import { OcicompatError } from "../oci/errors.js";
import { isObject } from "../oci/json-value.js";
import { formatJsonPath, type PathSegment } from "../oci/json-path.js";
import { RESERVED_SET_KEYS } from "./sets.js";

export interface SelectionBudgets {
  /** Bytes of compatibilities content (manifests, configs, blobs) read for one image. */
  compatBytes: number;
  /** Compatibility sets in all of an image's compatibilities documents together. */
  sets: number;
  /** Labels in one compatibility set (reserved keys do not count). */
  labelsPerSet: number;
  /** Items and alternatives in one label value: its `,` and `|` separators, plus one. */
  alternativesPerValue: number;
  /** Index entries of one image, nested indexes' entries included. */
  entries: number;
  /** Strings in one entry's `platform.features` or `platform["os.features"]`. */
  featuresPerEntry: number;
}

/** Generous for real images (a few sets of a few labels each), small enough to stay fast. */
export const DEFAULT_BUDGETS: Readonly<SelectionBudgets> = Object.freeze({
  compatBytes: 1024 * 1024,
  sets: 1000,
  labelsPerSet: 64,
  alternativesPerValue: 1024,
  entries: 1024,
  featuresPerEntry: 256,
});

/** The CLI flag that raises each budget, named in every budget error. */
export const BUDGET_FLAGS: Readonly<Record<keyof SelectionBudgets, string>> = Object.freeze({
  compatBytes: "--max-compat-bytes",
  sets: "--max-sets",
  labelsPerSet: "--max-labels",
  alternativesPerValue: "--max-alternatives",
  entries: "--max-entries",
  featuresPerEntry: "--max-features",
});

/**
 * An image over a budget. TOO_LARGE like a document over the size limit, but never read as
 * "this entry's content is broken": the whole run fails, since what was left unread could have
 * been the answer.
 */
export class BudgetError extends OcicompatError {
  readonly budget: keyof SelectionBudgets;
  readonly limit: number;

  constructor(budget: keyof SelectionBudgets, limit: number, message: string, subject?: string) {
    super(
      "TOO_LARGE",
      `${message}; the budget is ${limit} (${BUDGET_FLAGS[budget]} raises it)`,
      subject === undefined ? undefined : { subject },
    );
    this.name = "BudgetError";
    this.budget = budget;
    this.limit = limit;
  }
}

/** Budgets from a partial override; each must be a positive safe integer. */
export function resolveBudgets(overrides: Partial<SelectionBudgets> = {}): SelectionBudgets {
  const budgets = { ...DEFAULT_BUDGETS };
  for (const key of Object.keys(DEFAULT_BUDGETS) as (keyof SelectionBudgets)[]) {
    const value = overrides[key];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new OcicompatError(
        "USAGE",
        `${BUDGET_FLAGS[key]} must be a positive whole number, got ${String(value)}`,
      );
    }
    budgets[key] = value;
  }
  return budgets;
}

/** `,` and `|` in `value`, plus one: an upper bound on its items and alternatives. */
export function alternativesIn(value: string): number {
  let count = 1;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 44 || c === 124) count++;
  }
  return count;
}

/**
 * The running totals of one image. `where` in each charge names the entry (a JSON path in the
 * index, and the digest of what is being read) for the error.
 */
export interface BudgetMeter {
  readonly budgets: Readonly<SelectionBudgets>;
  /** Before fetching `size` bytes of compatibilities content. */
  chargeBytes(size: number, where: string): void;
  /** Before validating a set list: its sets, each set's labels, each value's alternatives. */
  chargeSets(list: readonly unknown[], at: readonly PathSegment[], where: string): void;
  /** Before reading an index's entries. */
  chargeEntries(count: number, where: string): void;
  /** Before checking an entry's platform: its features lists. */
  checkFeatures(platform: unknown, at: readonly PathSegment[], where: string): void;
}

export function createBudgetMeter(
  budgets: Readonly<SelectionBudgets>,
  subject?: string,
): BudgetMeter {
  let bytes = 0;
  let sets = 0;
  let entries = 0;
  const fail = (budget: keyof SelectionBudgets, message: string): never => {
    throw new BudgetError(budget, budgets[budget], message, subject);
  };
  return {
    budgets,
    chargeBytes(size, where) {
      bytes += size;
      if (bytes > budgets.compatBytes) {
        fail(
          "compatBytes",
          `${where}: reading its ${size} bytes brings the compatibilities content of this image to ${bytes} bytes`,
        );
      }
    },
    chargeSets(list, at, where) {
      sets += list.length;
      if (sets > budgets.sets) {
        fail(
          "sets",
          `${where}: its ${list.length} sets at ${formatJsonPath(at)} bring the compatibility sets of this image to ${sets}`,
        );
      }
      list.forEach((set, i) => {
        if (!isObject(set)) return;
        let labels = 0;
        for (const [key, value] of Object.entries(set)) {
          if (RESERVED_SET_KEYS.has(key)) continue;
          labels++;
          if (typeof value === "string" && value.length >= budgets.alternativesPerValue) {
            const count = alternativesIn(value);
            if (count > budgets.alternativesPerValue) {
              fail(
                "alternativesPerValue",
                `${where}: ${formatJsonPath([...at, i, key])} has ${count} items and alternatives`,
              );
            }
          }
        }
        if (labels > budgets.labelsPerSet) {
          fail("labelsPerSet", `${where}: ${formatJsonPath([...at, i])} has ${labels} labels`);
        }
      });
    },
    chargeEntries(count, where) {
      entries += count;
      if (entries > budgets.entries) {
        fail(
          "entries",
          `${where}: its ${count} entries bring the index entries of this image to ${entries}`,
        );
      }
    },
    checkFeatures(platform, at, where) {
      if (!isObject(platform)) return;
      for (const key of ["features", "os.features"]) {
        const list = platform[key];
        if (Array.isArray(list) && list.length > budgets.featuresPerEntry) {
          fail(
            "featuresPerEntry",
            `${where}: ${formatJsonPath([...at, key])} lists ${list.length} features`,
          );
        }
      }
    },
  };
}
