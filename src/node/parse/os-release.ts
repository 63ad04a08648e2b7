// os-release(5): shell-style `KEY=value` assignments, values optionally quoted.

export function parseOsRelease(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (m === null) continue;
    fields.set(m[1] as string, unquote(m[2] as string));
  }
  return fields;
}

function unquote(value: string): string {
  const q = value[0];
  if ((q === '"' || q === "'") && value.length >= 2 && value.endsWith(q)) {
    const inner = value.slice(1, -1);
    // Inside double quotes, a backslash escapes $ " \ and `; single quotes are literal.
    return q === '"' ? inner.replace(/\\([$"\\`])/g, "$1") : inner;
  }
  return value;
}
