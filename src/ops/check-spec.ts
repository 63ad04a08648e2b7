// `ocicompat check --spec FILE --node PROFILE`: evaluate a compatibilities document against a saved
// node profile, fully offline. A spec or profile that fails validation is an error (exit 2),
// never "not compatible".
import { createBudgetMeter, resolveBudgets, type SelectionBudgets } from "../compat/budget.js";
import type { LabelCatalog } from "../compat/catalog.js";
import { compileSets } from "../compat/compiled-set.js";
import { detectKind, readDocumentLeniently } from "../compat/document.js";
import { evaluateSets, prepareNode, type CompatibilityResult } from "../compat/evaluate.js";
import { readSets } from "../compat/sets.js";
import { loadNodeProfile } from "../node/profile-file.js";
import { OcicompatError, ValidationError, type ValidationIssue } from "../oci/errors.js";
import { readDocument } from "./read-document.js";

export interface CheckSpecOptions {
  spec: string;
  node: string;
  catalog: LabelCatalog;
  tags?: readonly string[];
  /** The same budgets as select's: sets, labels per set, alternatives per value. */
  budgets?: Partial<SelectionBudgets>;
}

export interface CheckSpecResult extends CompatibilityResult {
  spec: string;
  node: { file: string; name: string; platform: string };
  /** Validation warnings about the spec (unknown labels, redundant sets, ...). */
  warnings: ValidationIssue[];
}

type Json = Record<string, unknown>;

/** The set list of an authoring file, a Proposal J blob or a Proposal I config. */
function setList(value: unknown, file: string): { list: Json[]; at: string[] } {
  const kind = detectKind(value);
  const doc = value as Json;
  if (kind === "compat") return { list: doc["compatibilities"] as Json[], at: ["compatibilities"] };
  if (kind === "config") {
    const inner = doc["config"] as Json | undefined;
    if (inner?.["compatibilities"] !== undefined) {
      return { list: inner["compatibilities"] as Json[], at: ["config", "compatibilities"] };
    }
  }
  throw new OcicompatError(
    "VALIDATION",
    `holds no compatibilities: expected an authoring file, a Proposal J blob or a config with config.compatibilities${kind ? ` (found ${kind})` : ""}`,
    { subject: file },
  );
}

export async function checkSpec(options: CheckSpecOptions): Promise<CheckSpecResult> {
  const { catalog } = options;
  const doc = await readDocument(options.spec);
  const { list, at } = setList(doc.value, options.spec);
  // Counted before validation compiles anything, as for an image's compatibilities.
  if (Array.isArray(list)) {
    createBudgetMeter(resolveBudgets(options.budgets), options.spec).chargeSets(
      list,
      at,
      "the spec",
    );
  }
  const read = readDocumentLeniently(at[0] === "config" ? "config" : "compat", doc.value, {
    catalog,
  });
  const report = read.report;
  if (report.errors.length > 0) throw new ValidationError(options.spec, report.errors);
  // Validation compiled the sets already; compiling again would double the cost of a large spec.
  const compiled =
    read.compiled ??
    compileSets(readSets(setList(read.value, options.spec).list as Json[]), catalog, at).compiled;
  const profile = await loadNodeProfile(options.node, catalog);
  const result = evaluateSets(
    compiled,
    prepareNode(profile, catalog),
    options.tags ? { tags: options.tags } : {},
  );
  const p = profile.platform;
  return {
    spec: options.spec,
    node: {
      file: options.node,
      name: profile.name,
      platform: [p.os, p.architecture, p.variant].filter(Boolean).join("/"),
    },
    warnings: report.warnings,
    ...result,
  };
}
