// Set facts are written sorted and without duplicates, so two discoveries of the same node give
// byte-identical profiles.

export function setFact(items: Iterable<string>): string[] {
  // UTF-16 code-unit order, not locale order: the result must not depend on the machine's
  // locale. It is sort()'s default order, which the engine runs without calling back into
  // JavaScript for each comparison (a kernel config has ~1,600 options: 2 ms against 0.6).
  return [...new Set(items)].sort();
}
