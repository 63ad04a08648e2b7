// How a message names one offending character: printable ones quoted, spaces and control
// characters by name, since a terminal would show neither.
export function describeChar(ch: string): string {
  if (ch === " ") return "a space";
  const code = ch.codePointAt(0) ?? 0;
  if (code < 0x20 || code === 0x7f) {
    return `control character U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  }
  return `"${ch}"`;
}
