// `ocicompat discover`: a node profile of this machine (or of a root prefix), or one imported from
// NFD's feature export or a Kubernetes Node object. Site directories (features.d, hooks.d) come
// from the ocicompat config directory.
import { basename, extname, join } from "node:path";
import type { LabelCatalog } from "../compat/catalog.js";
import type { NodeProfile } from "../compat/node-profile.js";
import { discover, type Diagnostic } from "../node/discover.js";
import { importKubernetesNode } from "../node/import-k8s.js";
import { importNfdFeatures } from "../node/import-nfd.js";
import type { ImportOptions, ImportResult } from "../node/imported-node.js";
import { nfdLabelsOf, type NfdLabelExport } from "../node/nfd/export-labels.js";
import type { DeviceInventory } from "../node/probe.js";
import { OcicompatError } from "../oci/errors.js";
import { configDir } from "./load-catalog.js";
import { readDocument } from "./read-document.js";

export interface DiscoverNodeOptions {
  catalog: LabelCatalog;
  /** The root to probe; default `$OCICOMPAT_ROOT`, else `/`. */
  root?: string;
  /** Only these labels (names or aliases); all when absent. */
  labels?: ReadonlySet<string>;
  /** Build the profile from `nfd export features` output instead of probing. */
  fromNfd?: string;
  /** Build the profile from a Kubernetes Node object instead of probing. */
  fromNode?: string;
  /** `os/arch[/variant]` for imports whose input does not say. */
  platform?: string;
  /** Run hooks and pack discovery commands; default: only when the root is `/`. */
  runCommands?: boolean;
  /** Give the probed profile its NFD feature sets (default true; only NFD rules read them). */
  nfdFeatures?: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface NodeDiscovery {
  mode: "probe" | "nfd" | "node";
  /** The root probed, or the file imported. */
  input: string;
  profile: NodeProfile;
  diagnostics: Diagnostic[];
  /** Probes and site sources that ran (probing only). */
  probesRun: string[];
  /** Label → the probe, site source, NFD feature or node label its fact came from. */
  sources: Record<string, string>;
  /** Input features or labels that map to no ocicompat label (imports only). */
  unmapped: string[];
  devices: DeviceInventory;
}

function checkUsage(options: DiscoverNodeOptions): void {
  const imports = [options.fromNfd, options.fromNode].filter((f) => f !== undefined);
  if (imports.length > 1) {
    throw new OcicompatError("USAGE", "give either --from-nfd or --from-node, not both");
  }
  if (imports.length === 1 && options.root !== undefined) {
    throw new OcicompatError("USAGE", "--root applies to probing; an import reads only its file");
  }
  if (imports.length === 1 && options.runCommands !== undefined) {
    throw new OcicompatError("USAGE", "--commands applies to probing; an import runs nothing");
  }
  if (imports.length === 0 && options.platform !== undefined) {
    throw new OcicompatError(
      "USAGE",
      "--platform applies to --from-nfd and --from-node; probing reads the platform from the root",
    );
  }
}

async function importFile(
  file: string,
  mode: "nfd" | "node",
  options: DiscoverNodeOptions,
): Promise<NodeDiscovery> {
  const { value } = await readDocument(file);
  const importOptions: ImportOptions = {
    catalog: options.catalog,
    name: basename(file, extname(file)),
    ...(options.platform === undefined ? {} : { platform: options.platform }),
  };
  const result: ImportResult =
    mode === "nfd"
      ? importNfdFeatures(value, file, importOptions)
      : importKubernetesNode(value, file, importOptions);
  return {
    mode,
    input: file,
    profile: result.profile,
    diagnostics: [],
    probesRun: [],
    sources: result.sources,
    unmapped: result.unmapped,
    devices: result.devices,
  };
}

export async function discoverNode(options: DiscoverNodeOptions): Promise<NodeDiscovery> {
  checkUsage(options);
  if (options.fromNfd !== undefined) return importFile(options.fromNfd, "nfd", options);
  if (options.fromNode !== undefined) return importFile(options.fromNode, "node", options);
  const env = options.env ?? process.env;
  const root = options.root ?? (env["OCICOMPAT_ROOT"] || "/");
  const config = configDir(env);
  const result = await discover({
    root,
    catalog: options.catalog,
    featureDirs: [join(config, "features.d")],
    hooksDir: join(config, "hooks.d"),
    ...(options.labels === undefined ? {} : { labels: options.labels }),
    ...(options.runCommands === undefined ? {} : { runCommands: options.runCommands }),
    ...(options.nfdFeatures === undefined ? {} : { nfdFeatures: options.nfdFeatures }),
  });
  return { mode: "probe", input: root, unmapped: [], ...result };
}

/** The profile as NFD would label the node (`-o nfd`). */
export function nfdLabelsOfDiscovery(discovery: NodeDiscovery): NfdLabelExport {
  return nfdLabelsOf(discovery.profile, discovery.devices);
}
