// Plain text tables; widths ignore ANSI colour codes so coloured cells still line up.
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

function visibleLength(s: string): number {
  return s.replace(ANSI, "").length;
}

export function renderTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string[] {
  const widths = header.map((h, i) =>
    Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ""))),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) =>
        i === cells.length - 1 ? c : c + " ".repeat((widths[i] ?? 0) - visibleLength(c)),
      )
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)];
}
