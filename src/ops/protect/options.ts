// What protect takes: which anchors to write, the time it stamps, and whether images get keep
// tags too. Apart, so that protect, its steps and the CLI all read it.

export const ProtectAnchors = ["auto", "tag"] as const;
export type ProtectAnchor = (typeof ProtectAnchors)[number];

export interface ProtectOptions {
  anchor?: ProtectAnchor;
  /** RFC 3339 time for keepers and referrer entries without one; default as attach's. */
  created?: string;
  /** Cancels the run (every store call gets it); anchors already written stay, and are valid. */
  signal?: AbortSignal;
  /** Also give every manifest the index lists its keep tag (registries only; see images.ts). */
  images?: boolean;
}
