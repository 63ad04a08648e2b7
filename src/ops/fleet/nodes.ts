// The nodes of a fleet, from any mix of sources: a directory of node profiles, `kubectl get nodes
// -o json`, NFD NodeFeature objects (`kubectl get nodefeatures -A -o json`), a single profile, or
// live discovery of this host (`host`). A node that cannot be read is reported and skipped.
// When a node comes both as a Node and as a NodeFeature, the two are merged: NFD's raw features
// are richer than its labels (the full CPU flag list proves the x86-64 level), and the Node adds
// what only the kubelet knows (the kernel as `uname -r`, memory capacity).
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { LabelCatalog } from "../../compat/catalog.js";
import type { NodeProfile } from "../../compat/node-profile.js";
import { importKubernetesNode } from "../../node/import-k8s.js";
import { importNfdFeatures } from "../../node/import-nfd.js";
import { loadNodeProfile } from "../../node/profile-file.js";
import { isOcicompatError, OcicompatError } from "../../oci/errors.js";
import { isObject, type Json } from "../../oci/json-value.js";
import { discoverNode } from "../discover.js";
import { readDocument } from "../read-document.js";

/** The word that names live discovery of this host among node sources. */
export const HOST_SOURCE = "host";

export type NodeOrigin = "profile" | "kubernetes-node" | "node-feature" | "merged" | "discovery";

export interface FleetNode {
  name: string;
  profile: NodeProfile;
  origin: NodeOrigin;
  /** The file (and object) it was read from. */
  source: string;
}

export interface NodeProblem {
  source: string;
  problem: string;
}

export interface FleetNodes {
  nodes: FleetNode[];
  problems: NodeProblem[];
}

/** The error's text, without its subject when that is the source it is reported under. */
function problemText(err: unknown, source?: string): string {
  if (!isOcicompatError(err)) throw err;
  return err.subject !== undefined && err.subject !== source && !err.message.includes(err.subject)
    ? `${err.subject}: ${err.message}`
    : err.message;
}

function kindOf(value: Json): string {
  return typeof value["kind"] === "string" ? value["kind"] : "";
}

function nameOf(value: Json): string | undefined {
  const metadata = isObject(value["metadata"]) ? value["metadata"] : {};
  return typeof metadata["name"] === "string" && metadata["name"] !== ""
    ? metadata["name"]
    : undefined;
}

/** The objects of one document: a List's items, or the document itself. */
function objectsOf(value: unknown): Json[] {
  if (isObject(value) && Array.isArray(value["items"]) && kindOf(value).endsWith("List")) {
    return value["items"].filter(isObject);
  }
  return isObject(value) ? [value] : [];
}

function readObject(
  object: Json,
  at: string,
  catalog: LabelCatalog,
): FleetNode | NodeProblem | undefined {
  const kind = kindOf(object);
  const name = nameOf(object);
  const source = name === undefined ? at : `${at} (${kind || "object"} ${name})`;
  try {
    if (kind === "Node") {
      const { profile } = importKubernetesNode(object, source, {
        catalog,
        ...(name ? { name } : {}),
      });
      return { name: profile.name, profile, origin: "kubernetes-node", source };
    }
    if (kind === "NodeFeature") {
      const { profile } = importNfdFeatures(object, source, { catalog, ...(name ? { name } : {}) });
      return { name: profile.name, profile, origin: "node-feature", source };
    }
    if (object["schemaVersion"] !== undefined && object["labels"] !== undefined) {
      throw new OcicompatError("VALIDATION", "node profiles are read from their own files", {
        subject: source,
      });
    }
  } catch (err) {
    return { source, problem: problemText(err, source) };
  }
  return undefined;
}

async function readFile(file: string, catalog: LabelCatalog): Promise<FleetNodes> {
  const out: FleetNodes = { nodes: [], problems: [] };
  let value: unknown;
  try {
    value = (await readDocument(file)).value;
  } catch (err) {
    return { nodes: [], problems: [{ source: file, problem: problemText(err, file) }] };
  }
  if (isObject(value) && value["schemaVersion"] !== undefined && !("items" in value)) {
    try {
      const profile = await loadNodeProfile(file, catalog);
      return {
        nodes: [{ name: profile.name, profile, origin: "profile", source: file }],
        problems: [],
      };
    } catch (err) {
      return { nodes: [], problems: [{ source: file, problem: problemText(err, file) }] };
    }
  }
  const objects = objectsOf(value);
  objects.forEach((object, i) => {
    const at =
      objects.length > 1 || Array.isArray((value as Json)["items"]) ? `${file}: items[${i}]` : file;
    const read = readObject(object, at, catalog);
    if (read === undefined) {
      out.problems.push({
        source: at,
        problem: `is neither a Kubernetes Node, an NFD NodeFeature nor a node profile (kind ${JSON.stringify(kindOf(object))})`,
      });
    } else if ("problem" in read) out.problems.push(read);
    else out.nodes.push(read);
  });
  return out;
}

async function readDirectory(dir: string, catalog: LabelCatalog): Promise<FleetNodes> {
  const files = (await readdir(dir)).filter((f) => /\.(json|ya?ml)$/i.test(f)).sort();
  const parts = await Promise.all(files.map((f) => readFile(join(dir, f), catalog)));
  return {
    nodes: parts.flatMap((p) => p.nodes),
    problems: parts.flatMap((p) => p.problems),
  };
}

async function readSource(source: string, catalog: LabelCatalog): Promise<FleetNodes> {
  if (source === HOST_SOURCE) {
    try {
      const found = await discoverNode({ catalog });
      return {
        nodes: [{ name: found.profile.name, profile: found.profile, origin: "discovery", source }],
        problems: [],
      };
    } catch (err) {
      return { nodes: [], problems: [{ source, problem: problemText(err) }] };
    }
  }
  let isDir: boolean;
  try {
    isDir = (await stat(source)).isDirectory();
  } catch {
    throw new OcicompatError(
      "IO",
      "no such file or directory (give a file, a directory or `host`)",
      {
        subject: source,
      },
    );
  }
  return isDir ? readDirectory(source, catalog) : readFile(source, catalog);
}

function merge(node: FleetNode, features: FleetNode): FleetNode {
  const variant = features.profile.platform.variant ?? node.profile.platform.variant;
  const profile: NodeProfile = {
    schemaVersion: node.profile.schemaVersion,
    name: node.name,
    platform: { ...node.profile.platform, ...(variant === undefined ? {} : { variant }) },
    labels: { ...node.profile.labels, ...features.profile.labels },
  };
  return {
    name: node.name,
    profile,
    origin: "merged",
    source: `${node.source} + ${features.source}`,
  };
}

/** Merges each Node with the NodeFeature of the same name; other duplicates are problems. */
function combine(nodes: readonly FleetNode[], problems: NodeProblem[]): FleetNode[] {
  const byName = new Map<string, FleetNode>();
  for (const node of nodes) {
    const earlier = byName.get(node.name);
    if (earlier === undefined) byName.set(node.name, node);
    else if (earlier.origin === "kubernetes-node" && node.origin === "node-feature") {
      byName.set(node.name, merge(earlier, node));
    } else if (earlier.origin === "node-feature" && node.origin === "kubernetes-node") {
      byName.set(node.name, merge(node, earlier));
    } else {
      problems.push({
        source: node.source,
        problem: `node ${node.name} was already read from ${earlier.source}; this one is skipped`,
      });
    }
  }
  return [...byName.values()];
}

/** Every node of every source; unreadable ones are listed in `problems`, never dropped silently. */
export async function readFleetNodes(
  sources: readonly string[],
  catalog: LabelCatalog,
): Promise<FleetNodes> {
  const parts: FleetNodes[] = [];
  for (const source of sources) parts.push(await readSource(source, catalog));
  const problems = parts.flatMap((p) => p.problems);
  const nodes = combine(
    parts.flatMap((p) => p.nodes),
    problems,
  );
  return { nodes, problems };
}
