// Set facts are written sorted and without duplicates, so two discoveries of the same node give
// byte-identical profiles.

export function setFact(items: Iterable<string>): string[] {
  // Code-point order, not locale order: the result must not depend on the machine's locale.
  return [...new Set(items)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
