// What protect reports, per compat site and (with `images`) per manifest an index lists.

export interface ProtectedImage {
  /** `index → manifests[1]`, `index → manifests[0] → manifests[2]` */
  location: string;
  mediaType: string;
  digest: string;
  /** The keep tag, when the store needs one (registries). */
  tag?: string;
  /**
   * "protected": the keep tag was written; "already": it was there, or the store keeps what a
   * tagged index lists (layouts); "missing": the manifest is gone (a GC got there first).
   */
  status: "protected" | "already" | "missing";
}

export interface ProtectedEntry {
  location: string;
  subject: string;
  form: "manifest" | "blob";
  digest: string;
  /** The manifest the anchors point at: the compat manifest or the keeper. */
  anchored?: string;
  /** "protected": anchors written; "already": nothing was needed; "missing": nothing to protect. */
  status: "protected" | "already" | "missing" | "conflict";
  message?: string;
}
