// Whether a registries.conf file can be passed over without parsing it: every registry command
// reads the files, and on a machine with podman one of them is shortnames.conf, ~100 lines of
// [aliases] that define no registry (parsing it is most of the ~3 ms the files cost a short
// command). The test is conservative: anything it cannot see through is parsed as usual, so a
// file that may define a registry, or hold a value of the wrong type, always is. What a skipped
// file is not checked for: TOML errors among its aliases alone (one given twice), which podman
// would refuse and which cannot change where an image is read from. Pure.

// `[name]`: a simple table (not dotted, not quoted, not an array of tables).
const HEADER = /^\[\s*([A-Za-z0-9_-]+)\s*\]\s*(?:#.*)?$/;
// `key = "value"`: a bare or quoted key (not dotted) and a one-line string without escapes.
const STRING_PAIR = /^(?:"[^"\\]*"|'[^']*'|[A-Za-z0-9_-]+)\s*=\s*(?:"[^"\\]*"|'[^']*')\s*(?:#.*)?$/;

/**
 * True when the text has only comments, blank lines, and simple tables other than `registry` and
 * `registries` (`[aliases]`) holding `key = "string"` lines: then it defines no registry, and
 * parsing could not refuse it for any key ocicompat reads.
 */
export function definesNoRegistries(text: string): boolean {
  let inTable = false;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const header = HEADER.exec(line);
    if (header !== null) {
      if (/^registr(?:y|ies)$/i.test(header[1] ?? "")) return false;
      inTable = true;
      continue;
    }
    // A top-level key may be `registry = [...]`, and anything else is for the parser to judge.
    if (!inTable || !STRING_PAIR.test(line)) return false;
  }
  return true;
}
