// A destination a failed write can be taken back from: a new archive or layout that the failed
// command created and that received nothing. The copy calls it on failure, so a failed copy leaves
// no empty destination behind; content that did arrive stays, for a re-run to reuse.

export interface Abandonable {
  /**
   * Removes (or does not write) the destination this store created, when it is still empty and
   * nobody else is writing to it; does nothing otherwise. Returns whether it did.
   */
  abandon(): Promise<boolean>;
}

export function canAbandon(store: object): store is Abandonable {
  return typeof (store as Partial<Abandonable>).abandon === "function";
}
