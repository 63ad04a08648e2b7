// An inference as an authoring file: YAML that `attach --file` accepts as it is, with comments
// naming the evidence of every rule and the findings. Pure.
import type { Evidence, Finding, Inference, InferredRule } from "./analyze.js";

export interface AuthoringContext {
  /** What was inferred from: `registry.example/app:1.0`. */
  reference: string;
  /** `linux/amd64/v3`. */
  platform: string;
  /** The entry's image manifest digest. */
  manifest: string;
}

function evidenceLine(e: Evidence): string {
  return e.path.startsWith("config.")
    ? `#     config ${e.source} ${e.path}: ${e.note}`
    : `#     layer ${e.source} ${e.path}: ${e.note}`;
}

function ruleLines(rule: InferredRule): string[] {
  return [
    `#   ${rule.label} ${JSON.stringify(rule.value)}: ${rule.reason}`,
    ...rule.evidence.map(evidenceLine),
  ];
}

function findingLine(f: Finding): string {
  return `#   ${f.severity} ${f.code}: ${f.message}`;
}

/** The authoring file (YAML) for one entry's inference. */
export function authoringYaml(inference: Inference, context: AuthoringContext): string {
  const lines = [
    `# Compatibilities inferred by \`ocicompat infer\` from ${context.reference},`,
    `# entry ${context.platform} (${context.manifest}).`,
    "# Every rule names its evidence: the layer and file it was read from, and the note in it.",
  ];
  if (inference.rules.length > 0) {
    lines.push("#", "# Rules in every set:");
    for (const rule of inference.rules) lines.push(...ruleLines(rule));
  }
  const shown = inference.findings.filter((f) => f.severity !== "info" || f.code === "libc");
  if (shown.length > 0) {
    lines.push("#", "# Findings:");
    for (const f of shown) {
      lines.push(findingLine(f));
      for (const e of f.evidence) lines.push(evidenceLine(e));
    }
  }
  lines.push("compatibilities:");
  inference.sets.forEach((set, i) => {
    const alternative = inference.alternatives[i];
    if (alternative !== undefined) {
      lines.push(`  # alternative ${i + 1} of ${inference.alternatives.length}:`);
      for (const rule of alternative.rules) lines.push(...ruleLines(rule).map((l) => `  ${l}`));
    }
    Object.entries(set).forEach(([key, value], k) => {
      lines.push(`${k === 0 ? "  - " : "    "}${key}: ${JSON.stringify(value)}`);
    });
  });
  return `${lines.join("\n")}\n`;
}
