// `ocicompat inspect REF` and `ocicompat ls REF`: parsing and rendering only.
import { Command, Option } from "commander";
import type { CompatSummary, InspectNode, NfdSummary } from "../../ops/inspect.js";
import { inspect, inspectRaw } from "../../ops/inspect.js";
import { OcicompatError } from "../../oci/errors.js";
import { parseReference, parseRepositoryReference } from "../../oci/reference.js";
import { ExitCode, type ExitCode as Code } from "../exit-codes.js";
import {
  color,
  outputOption,
  renderData,
  type OutputFormat,
  formatBytes as size,
  shortDigest as short,
} from "../output.js";
import {
  addRegistryOptions,
  openerFrom,
  withOpener,
  type RegistryFlags,
} from "../registry-options.js";
import { DEFAULT_TIMEOUTS, deadlineSignal } from "../deadline.js";
import { type CommandHelp, EXIT_ERROR, REGISTRY_ENV, withHelp } from "../help.js";

const INSPECT_HELP: CommandHelp = {
  examples: [
    {
      command: "ocicompat inspect registry.example/app:1.4",
      explains: "the index, its entries and their compatibilities, as a tree",
    },
    {
      command: "ocicompat inspect --raw docker://registry.example/app:1.4",
      explains: "the exact stored bytes, as skopeo inspect --raw prints them",
    },
    {
      command: "ocicompat inspect -o json oci-archive:app.tar:1.4",
      explains: "the tree as JSON, from an OCI archive",
    },
  ],
  exit: { 0: "shown", 2: `${EXIT_ERROR}; also when some content cannot be read` },
  env: [...REGISTRY_ENV],
};

export function inspectCommand(run: (code: Code) => void): Command {
  const command = withHelp(new Command("inspect"), INSPECT_HELP)
    .description(
      "show what a reference names: a tree of index -> manifests -> config, with compatibilities",
    )
    .argument("<ref>", "registry/repo:tag, oci:DIR[:tag|@digest] or oci-archive:FILE[:tag]")
    .addOption(new Option("--raw", "print the exact bytes of the manifest or index"))
    .addOption(outputOption());
  return addRegistryOptions(command, DEFAULT_TIMEOUTS.inspect, { http2: true }).action(
    async (input: string, opts: RegistryFlags & { raw?: boolean; output: OutputFormat }) => {
      const ref = parseReference(input);
      const signal = deadlineSignal(opts.timeout, input);
      const opener = await openerFrom(opts);
      await withOpener(opener, async () => {
        const { store, reference } = await opener.open(ref, { pull: true, signal });
        if (reference === undefined)
          throw new OcicompatError("USAGE", `${input} names no tag or digest`);
        if (opts.raw) {
          process.stdout.write(await inspectRaw(store, reference, { signal }));
        } else {
          const result = await inspect(store, reference, { signal });
          writeLenientWarnings(input, result.root);
          if (opts.output === "table") process.stdout.write(renderTree(input, result.root));
          else process.stdout.write(await renderData(opts.output, result));
          const unreadable = countProblems(result.root);
          if (unreadable > 0) {
            const what = `${unreadable} descriptor${unreadable === 1 ? "" : "s"} could not be read`;
            throw new OcicompatError("NOT_FOUND", `${what} (marked above)`, { subject: input });
          }
        }
      });
      run(ExitCode.Ok);
    },
  );
}

const LS_HELP: CommandHelp = {
  examples: [
    {
      command: "ocicompat ls registry.example/app",
      explains: "the tags of a repository (no :tag: ls lists them all)",
    },
    {
      command: "ocicompat ls -o json oci:app-layout",
      explains: "the tags of an OCI layout, as JSON",
    },
  ],
  exit: { 0: "listed", 2: `${EXIT_ERROR}; also a REF that names a tag or digest` },
  env: [...REGISTRY_ENV],
};

export function lsCommand(run: (code: Code) => void): Command {
  const command = withHelp(new Command("ls"), LS_HELP)
    .description("list the tags of a repository, layout or archive")
    .argument("<ref>", "registry/repo, oci:DIR or oci-archive:FILE")
    .addOption(outputOption());
  return addRegistryOptions(command, DEFAULT_TIMEOUTS.inspect, { http2: true }).action(
    async (input: string, opts: RegistryFlags & { output: OutputFormat }) => {
      const ref = parseRepositoryReference(input);
      const signal = deadlineSignal(opts.timeout, input);
      const opener = await openerFrom(opts);
      await withOpener(opener, async () => {
        const { store } = await opener.open(ref);
        const tags = await store.listTags({ signal });
        if (opts.output === "table") process.stdout.write(tags.map((t) => `${t}\n`).join(""));
        else process.stdout.write(await renderData(opts.output, { tags }));
      });
      run(ExitCode.Ok);
    },
  );
}

/**
 * Deviations read leniently (docs/interop.md), on stderr in every output mode, each naming the
 * entry and the document; `-o json` also keeps them in the tree.
 */
function writeLenientWarnings(input: string, root: InspectNode): void {
  for (const child of root.children) {
    const where = `${input}: ${child.platform ?? "entry"} ${short(child.descriptor.digest)}`;
    const documents = [
      ...(child.compat ? [["compatibilities", child.compat] as const] : []),
      ...(child.nfd ? [["NFD artifact", child.nfd] as const] : []),
    ];
    for (const [what, doc] of documents) {
      for (const w of doc.warnings ?? []) {
        process.stderr.write(
          `ocicompat: ${color.yellow("warning")}: ${where}: ${what}: ${w.path}: ${w.message}\n`,
        );
      }
    }
  }
}

function countProblems(node: InspectNode): number {
  const own = (node.problem ? 1 : 0) + (node.compat?.problem ? 1 : 0);
  return node.children.reduce((sum, c) => sum + countProblems(c), own);
}

function kind(mediaType: string): string {
  if (mediaType.includes("index") || mediaType.includes("list")) return "index";
  if (mediaType.includes("manifest")) return "manifest";
  if (mediaType.includes("config")) return "config";
  if (mediaType.includes("layer")) return "layer";
  if (mediaType.includes("compatibilities")) return "compatibilities";
  return mediaType;
}

function compatLines(c: CompatSummary, indent: string): string[] {
  const head = `${indent}${color.cyan("compatibilities")}: ${c.form === "blob" ? "blob (Proposal J)" : "manifest (Proposal I)"} ${short(c.descriptor.digest)}`;
  if (c.problem) return [`${head}  ${color.red(`unreadable: ${c.problem}`)}`];
  const sets = c.sets ?? [];
  const lines = [`${head}, ${sets.length} set${sets.length === 1 ? "" : "s"}`];
  for (const s of sets) {
    const labels = Object.entries(s.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join("; ");
    const meta = [
      s.description ? `"${s.description}"` : "",
      s.tags.length ? `[${s.tags.join(", ")}]` : "",
      `score ${s.score}`,
    ]
      .filter(Boolean)
      .join(" ");
    lines.push(`${indent}  set ${s.index} ${meta}: ${labels}`);
  }
  return lines;
}

function nfdLines(n: NfdSummary, indent: string): string[] {
  const head = `${indent}${color.cyan("NFD artifact")}: ${short(n.artifact.digest)}`;
  if (n.problem) return [`${head}  ${color.red(`unreadable: ${n.problem}`)}`];
  const list = n.compatibilities ?? [];
  const lines = [`${head}, ${list.length} compatibilit${list.length === 1 ? "y" : "ies"}`];
  for (const c of list) {
    const meta = [
      c.description ? `"${c.description}"` : "",
      c.tag ? `[${c.tag}]` : "",
      `weight ${c.weight}`,
    ]
      .filter(Boolean)
      .join(" ");
    lines.push(
      `${indent}  compatibility ${c.index} ${meta}: rules ${c.rules.map((r) => `"${r.name}"`).join(", ")}`,
    );
  }
  return lines;
}

function renderTree(name: string, root: InspectNode): string {
  const lines = [
    `${color.bold(name)}  ${kind(root.descriptor.mediaType)} ${root.descriptor.digest}  ${size(root.descriptor.size)}`,
  ];
  if (root.artifactType) lines.push(`  artifactType ${root.artifactType}`);
  if (root.problem) lines.push(`  ${color.red(root.problem)}`);
  root.children.forEach((child, i) => {
    const last = i === root.children.length - 1;
    const branch = last ? "└─ " : "├─ ";
    const indent = last ? "   " : "│  ";
    const label = child.platform
      ? `${color.bold(child.platform)}${child.features?.length ? ` [${child.features.join(", ")}]` : ""}  `
      : "";
    lines.push(
      `${branch}${label}${kind(child.descriptor.mediaType)} ${short(child.descriptor.digest)}  ${size(child.descriptor.size)}`,
    );
    if (child.problem) lines.push(`${indent}${color.red(child.problem)}`);
    if (child.compat) lines.push(...compatLines(child.compat, indent));
    if (child.nfd) lines.push(...nfdLines(child.nfd, indent));
    const parts = child.children;
    if (parts.length > 0) {
      const [config, ...layers] = parts;
      const total = layers.reduce((sum, l) => sum + l.descriptor.size, 0);
      if (config)
        lines.push(
          `${indent}${kind(config.descriptor.mediaType)} ${short(config.descriptor.digest)}; ${layers.length} layer${layers.length === 1 ? "" : "s"}, ${size(total)}`,
        );
    }
  });
  return `${lines.join("\n")}\n`;
}
