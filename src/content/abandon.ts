// A destination a failed write can be taken back from: an archive that was never written, a
// layout that the failed command created and nothing else uses. The copy calls it on failure, so
// a failed copy leaves nothing behind that it made.

export interface Abandonable {
  /**
   * Undoes what this store's own writes left behind, where that is safe (nothing tagged, nobody
   * else writing); does nothing otherwise. Returns whether something was removed.
   */
  abandon(): Promise<boolean>;
}

export function canAbandon(store: object): store is Abandonable {
  return typeof (store as Partial<Abandonable>).abandon === "function";
}
