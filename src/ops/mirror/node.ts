// The node the mirror selects for: a saved profile (read again on every reload, so an operator can
// edit it and send SIGHUP), or live discovery of this host with every catalog label (the mirror
// cannot know in advance which labels the images it will serve ask about).
import type { LabelCatalog } from "../../compat/catalog.js";
import type { NodeProfile } from "../../compat/node-profile.js";
import { loadNodeProfile } from "../../node/profile-file.js";
import { discoverNode } from "../discover.js";

export function mirrorNodeLoader(options: {
  catalog: LabelCatalog;
  /** A node profile file; absent: discover this host. */
  nodeFile?: string;
}): () => Promise<NodeProfile> {
  const { catalog, nodeFile } = options;
  if (nodeFile !== undefined) return () => loadNodeProfile(nodeFile, catalog);
  return async () => (await discoverNode({ catalog })).profile;
}
