// Shared by select.test.ts and select-content.test.ts: the example nodes, and one selectImage run
// with a fresh opener that records the requests reaching the registry client.
import type { LabelCatalog } from "../../src/compat/catalog.js";
import type { NodeProfile } from "../../src/compat/node-profile.js";
import { openCache } from "../../src/content/cache.js";
import { createStoreOpener } from "../../src/content/open.js";
import { loadNodeProfile } from "../../src/node/profile-file.js";
import type { CompatSource } from "../../src/ops/select/read-image.js";
import { selectImage, type ImageSelection } from "../../src/ops/select.js";

export interface Run {
  selection: ImageSelection;
  requests: string[];
}

export interface SelectOptions {
  profile?: NodeProfile;
  cacheDir?: string;
  platform?: string;
  tags?: string[];
  discover?: (labels: ReadonlySet<string>) => Promise<NodeProfile>;
  source?: CompatSource;
}

/** Loads examples/nodes/{intel-spr,amd-genoa,old-xeon}.json into `profiles`, by name. */
export async function loadExampleProfiles(
  catalog: LabelCatalog,
  profiles: Record<string, NodeProfile>,
): Promise<void> {
  for (const name of ["intel-spr", "amd-genoa", "old-xeon"]) {
    profiles[name] = await loadNodeProfile(`examples/nodes/${name}.json`, catalog);
  }
}

/**
 * One selection with a fresh opener; `cacheDir` shared between runs makes the second warm. Each
 * run without one gets a cache of its own under `dir`; without a profile or `discover`, the node
 * is `profiles["intel-spr"]`.
 */
export function selectRunner(
  catalog: LabelCatalog,
  dir: string,
  profiles: Record<string, NodeProfile>,
): (reference: string, options?: SelectOptions) => Promise<Run> {
  let cacheCount = 0;
  return async (reference, options = {}) => {
    const requests: string[] = [];
    const cacheDir = options.cacheDir ?? `${dir}/cache-${cacheCount++}`;
    const opener = createStoreOpener({
      cache: openCache({ dir: cacheDir }),
      onRequest: (method, url) => requests.push(`${method} ${new URL(url).pathname}`),
    });
    try {
      const selection = await selectImage({
        reference,
        opener,
        catalog,
        ...(options.discover
          ? { discover: options.discover }
          : { profile: options.profile ?? (profiles["intel-spr"] as NodeProfile) }),
        ...(options.platform ? { platform: options.platform } : {}),
        ...(options.tags ? { tags: options.tags } : {}),
        ...(options.source ? { source: options.source } : {}),
      });
      return { selection, requests };
    } finally {
      await opener.close();
    }
  };
}
