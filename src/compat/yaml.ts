// YAML input for authoring files and label packs. Duplicate keys are errors, as in I-JSON, and
// alias expansion is bounded so a small file cannot blow up into a huge one.
import { parseDocument } from "yaml";
import { OcicompatError } from "../oci/errors.js";

export function parseYaml(text: string, source: string): unknown {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true, strict: true });
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos?.[0];
    const where = pos ? `line ${pos.line}, column ${pos.col}: ` : "";
    throw new OcicompatError("INVALID_YAML", `${where}${oneLine(first.message)}`, {
      subject: source,
    });
  }
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new OcicompatError("INVALID_YAML", oneLine((err as Error).message), { subject: source });
  }
}

/** The first line, without the position prettyErrors appends (we put it in front). */
function oneLine(message: string): string {
  const first = (message.split("\n")[0] ?? message).trim();
  return first.replace(/ at line \d+, column \d+:?$/, "");
}
