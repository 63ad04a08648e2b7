// The NFD "local" feature file format, read by features.d files and printed by hooks:
//
//   # a comment
//   <key>[=<value>]          (the value defaults to "true")
//   # +expiry-time=2030-01-01T00:00:00Z
//
// An expiry-time directive applies to the lines after it, until the next one; lines whose expiry
// has passed are dropped, as NFD does. Other `# +` directives (+no-label, +no-feature) only
// steer how NFD publishes a line, and are read as comments. Pure: text in, lines out.

export interface FeatureLine {
  key: string;
  value: string;
  /** 1-based line number, for diagnostics. */
  line: number;
}

export interface ParsedFeatureFile {
  lines: FeatureLine[];
  problems: { line: number; message: string }[];
}

const EXPIRY = /^#\s*\+expiry-time\s*=\s*(\S+)\s*$/;
// RFC 3339 date-time, which is what NFD accepts.
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export function parseFeatureFile(text: string, now: Date): ParsedFeatureFile {
  const lines: FeatureLine[] = [];
  const problems: ParsedFeatureFile["problems"] = [];
  let expired = false;
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    const number = i + 1;
    if (line === "") return;
    if (line.startsWith("#")) {
      const expiry = EXPIRY.exec(line)?.[1];
      if (expiry === undefined) return;
      if (!RFC3339.test(expiry) || Number.isNaN(Date.parse(expiry))) {
        problems.push({ line: number, message: `expiry-time "${expiry}" is not an RFC 3339 time` });
        // Reported, and read as "no expiry": a typo should not silently drop the lines after it.
        expired = false;
        return;
      }
      expired = Date.parse(expiry) <= now.getTime();
      return;
    }
    if (expired) return;
    const eq = line.indexOf("=");
    const key = (eq < 0 ? line : line.slice(0, eq)).trim();
    const value = eq < 0 ? "true" : line.slice(eq + 1).trim();
    if (key === "") {
      problems.push({ line: number, message: "has a value but no name" });
      return;
    }
    lines.push({ key, value, line: number });
  });
  return { lines, problems };
}
