// Node discovery: run the probes a caller needs against a root, then let the site fill in what
// they could not find, and assemble a node profile.
//
// Precedence is "first source that knows a label wins": built-in probes, then features.d files,
// then hooks, then label packs' discovery commands. A site can therefore add labels and fill in
// facts a probe could not read (a container without /sys), but never contradict a probe. That
// rule also makes lazy discovery agree with full discovery: site sources run only while some
// wanted label is still unknown, and whatever they would say about a known label is ignored.
import { createCatalog, type LabelCatalog } from "../compat/catalog.js";
import type { LabelDefinition } from "../compat/label-definition.js";
import type { Fact } from "../compat/label-types.js";
import { ownValue, recordOf } from "../compat/own-record.js";
import {
  NODE_PROFILE_SCHEMA_VERSION,
  nodeProfileIssues,
  type NodeProfile,
} from "../compat/node-profile.js";
import { OcicompatError, errorMessage } from "../oci/errors.js";
import { formatJsonPath } from "../oci/json-path.js";
import { HostRoot } from "./host-root.js";
import { detectHostname, detectPlatform } from "./platform.js";
import type { DeviceInventory, Diagnostic, Probe, ProbeOutput } from "./probe.js";
import { profileLabels } from "./profile-labels.js";
import { nfdFeaturesOfDiscovery } from "./nfd/features-of-profile.js";
import { setFact } from "./set-fact.js";
import { BUILTIN_PROBES } from "./probes/index.js";
import { readFeatureDirectories } from "./site/features-dirs.js";
import { listHooks, runHook } from "./site/hooks.js";
import { runDiscoveryCommand } from "./site/pack-commands.js";
import type { SiteOutput } from "./site/site-output.js";

export type { Diagnostic } from "./probe.js";

export const DEFAULT_COMMAND_TIMEOUT_MS = 5000;

export interface DiscoverOptions {
  /** The root to read, `/` (the default) for this machine. */
  root?: string;
  /**
   * The labels the caller needs (names or aliases). Only probes providing one of them run, and
   * site sources only while one is still unknown. Without it, everything runs.
   */
  labels?: ReadonlySet<string>;
  /** Built-in labels plus label packs; packs may bring discovery commands. */
  catalog?: LabelCatalog;
  /** features.d directories on this machine, read after the root's own. */
  featureDirs?: readonly string[];
  /** A directory of hook programs on this machine. */
  hooksDir?: string;
  /**
   * Whether hooks and pack discovery commands may run. They describe the machine ocicompat runs
   * on, so the default is true only when the root is `/`.
   */
  runCommands?: boolean;
  /** Time limit for each hook, and for pack commands that set none. */
  commandTimeoutMs?: number;
  /** The clock for features.d expiry-time directives. */
  now?: Date;
  /** Replaces the built-in probes (tests, embedding). */
  probes?: readonly Probe[];
  /**
   * Whether the profile gets its NFD feature sets (`nfd`), which only NFD rules read; default
   * true. Building them costs ~10 ms on a host with a full kernel config.
   */
  nfdFeatures?: boolean;
}

export interface DiscoveryResult {
  profile: NodeProfile;
  diagnostics: Diagnostic[];
  /** Probes and site sources that ran, in order: `cpu`, ..., `platform`, `features.d`, `hook:x`. */
  probesRun: string[];
  /** Label → the probe or site source its fact came from. */
  sources: Record<string, string>;
  devices: DeviceInventory;
}

// Pure, and kept with the compiled sets: selection needs it without loading the probes.
export { labelsNeededBy } from "../compat/compiled-set.js";

class FactTable {
  readonly facts = new Map<string, Fact>();
  readonly sources = new Map<string, string>();

  /** Takes facts for labels nobody has yet; returns the labels that were already known. */
  offer(facts: Record<string, Fact>, source: (label: string) => string): string[] {
    const ignored: string[] = [];
    for (const [label, fact] of Object.entries(facts)) {
      if (this.facts.has(label)) {
        ignored.push(label);
        continue;
      }
      this.facts.set(label, fact);
      this.sources.set(label, source(label));
    }
    return ignored;
  }
}

async function runProbe(
  probe: Probe,
  root: HostRoot,
  diagnostics: Diagnostic[],
): Promise<ProbeOutput | undefined> {
  const note = (message: string): void => {
    diagnostics.push({ probe: probe.name, message });
  };
  try {
    return await probe.run({ root, note });
  } catch (err) {
    // One probe failing costs only its own facts.
    note(errorMessage(err));
    return undefined;
  }
}

function canonicalLabels(labels: ReadonlySet<string>, catalog: LabelCatalog): Set<string> {
  return new Set([...labels].map((l) => catalog.canonicalName(l) ?? l));
}

function mergeDevices(into: DeviceInventory, from: DeviceInventory | undefined): void {
  if (from?.pci) into.pci = [...(into.pci ?? []), ...from.pci];
  if (from?.usb) into.usb = [...(into.usb ?? []), ...from.usb];
}

/**
 * Runs probes side by side and takes their facts in declaration order. Each probe keeps its own
 * diagnostics, so the report order does not depend on which finished first.
 */
async function runProbes(
  probes: readonly Probe[],
  root: HostRoot,
  table: FactTable,
  devices: DeviceInventory,
): Promise<Diagnostic[]> {
  const perProbe = probes.map(() => [] as Diagnostic[]);
  const outputs = await Promise.all(probes.map((p, i) => runProbe(p, root, perProbe[i] ?? [])));
  probes.forEach((probe, i) => {
    const output = outputs[i];
    if (output === undefined) return;
    const provided = new Set(probe.provides);
    const facts = new Map<string, Fact>();
    for (const [label, fact] of Object.entries(output.facts)) {
      if (provided.has(label)) facts.set(label, fact);
      else {
        (perProbe[i] ?? []).push({
          probe: probe.name,
          message: `reported ${label}, which it does not declare`,
        });
      }
    }
    table.offer(recordOf(facts), () => probe.name);
    mergeDevices(devices, output.devices);
  });
  return perProbe.flat();
}

export async function discover(options: DiscoverOptions = {}): Promise<DiscoveryResult> {
  const root = new HostRoot(options.root ?? "/");
  if (!(await root.isDirectory("/"))) {
    throw new OcicompatError("IO", "the root to discover is not a directory", {
      subject: root.path,
    });
  }
  const catalog = options.catalog ?? createCatalog();
  const wanted = options.labels ? canonicalLabels(options.labels, catalog) : undefined;
  const probes = options.probes ?? BUILTIN_PROBES;
  const selected = wanted ? probes.filter((p) => p.provides.some((l) => wanted.has(l))) : probes;

  const table = new FactTable();
  const devices: DeviceInventory = {};
  const probesRun = selected.map((p) => p.name);
  const diagnostics = await runProbes(selected, root, table, devices);

  probesRun.push("platform");
  const { platform, problem } = await detectPlatform(root).catch((err: unknown) => ({
    platform: { os: "linux", architecture: "unknown" },
    problem: errorMessage(err),
  }));
  if (problem !== undefined) diagnostics.push({ probe: "platform", message: problem });
  const name = await detectHostname(root).catch(() => "localhost");

  const site = new SiteRun(root, catalog, table, wanted, options, diagnostics, probesRun);
  await site.run();

  const profile: NodeProfile = {
    schemaVersion: NODE_PROFILE_SCHEMA_VERSION,
    name,
    platform,
    labels: profileLabels(table.facts, catalog),
  };
  // Site values are typed by the catalog, so this only catches a probe bug; drop, don't fail.
  const labelAt = new Map(
    Object.keys(profile.labels).map((l) => [formatJsonPath(["labels", l]), l] as const),
  );
  for (const issue of nodeProfileIssues(profile, catalog)) {
    const label = labelAt.get(issue.path);
    if (label !== undefined) delete profile.labels[label];
    const source = label === undefined ? undefined : table.sources.get(label);
    diagnostics.push({ probe: source ?? "profile", message: `${issue.path}: ${issue.message}` });
  }
  // The raw NFD feature sets the facts support, for NFD rules (docs/interop.md).
  if (options.nfdFeatures !== false) {
    const nfd = nfdFeaturesOfDiscovery(profile, devices);
    if (Object.keys(nfd).length > 0) profile.nfd = nfd;
  }
  return {
    profile,
    diagnostics,
    probesRun,
    sources: Object.fromEntries(
      Object.keys(profile.labels).map((l) => [l, table.sources.get(l) ?? ""]),
    ),
    devices,
  };
}

/** The site sources, each consulted only while a wanted label is still unknown. */
class SiteRun {
  private readonly runCommands: boolean;
  private readonly timeoutMs: number;
  private readonly now: Date;

  constructor(
    private readonly root: HostRoot,
    private readonly catalog: LabelCatalog,
    private readonly table: FactTable,
    private readonly wanted: Set<string> | undefined,
    private readonly options: DiscoverOptions,
    private readonly diagnostics: Diagnostic[],
    private readonly probesRun: string[],
  ) {
    this.runCommands = options.runCommands ?? root.isHostRoot;
    this.timeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    this.now = options.now ?? new Date();
  }

  private note(source: string): (message: string) => void {
    return (message) => this.diagnostics.push({ probe: source, message });
  }

  private satisfied(): boolean {
    return this.wanted !== undefined && [...this.wanted].every((l) => this.table.facts.has(l));
  }

  /** Adds a site source's facts under "first source wins", saying when a probe overrules it. */
  private accept(source: string, output: SiteOutput): void {
    const facts = this.wanted
      ? Object.fromEntries(Object.entries(output.facts).filter(([l]) => this.wanted?.has(l)))
      : output.facts;
    const earlier = new Map(this.table.sources);
    // features.d names the file each fact came from; a hook is its own origin.
    const ignored = this.table.offer(facts, (label) => {
      const origin = source === "features.d" ? ownValue(output.origins, label) : undefined;
      return origin ? `${source}:${origin}` : source;
    });
    for (const label of ignored) {
      this.diagnostics.push({
        probe: source,
        message: `${label} is already known from ${earlier.get(label) ?? "an earlier source"}; the value here is ignored`,
      });
    }
  }

  async run(): Promise<void> {
    if (this.satisfied()) return;
    await this.featureFiles();
    if (this.satisfied()) return;
    const hooks = this.options.hooksDir === undefined ? [] : await this.hookNames();
    const packs = this.packLabels();
    if (!this.runCommands) {
      if (hooks.length > 0 || packs.length > 0) {
        this.diagnostics.push({
          probe: "site",
          message: `${hooks.length} hook(s) and ${packs.length} label pack command(s) not run: they describe the machine ocicompat runs on, not the root ${this.root.path} (allow them with --commands)`,
        });
      }
      return;
    }
    await this.hooks(hooks);
    if (this.satisfied()) return;
    await this.packCommands(packs);
  }

  private async featureFiles(): Promise<void> {
    this.probesRun.push("features.d");
    const note = this.note("features.d");
    try {
      const output = await readFeatureDirectories(
        this.root,
        this.options.featureDirs ?? [],
        this.catalog,
        this.now,
        note,
      );
      this.accept("features.d", output);
    } catch (err) {
      note(errorMessage(err));
    }
  }

  private async hookNames(): Promise<string[]> {
    try {
      return await listHooks(this.options.hooksDir as string);
    } catch (err) {
      this.note("hooks")(errorMessage(err));
      return [];
    }
  }

  private async hooks(names: readonly string[]): Promise<void> {
    const dir = this.options.hooksDir as string;
    const hookOptions = {
      timeoutMs: this.timeoutMs,
      root: this.root.path,
      catalog: this.catalog,
      now: this.now,
    };
    // Hooks run side by side (each has its own time limit); their facts are taken in name order.
    const outputs = await Promise.all(
      names.map((name) => runHook(dir, name, hookOptions, this.note(`hook:${name}`))),
    );
    names.forEach((name, i) => {
      this.probesRun.push(`hook:${name}`);
      const output = outputs[i];
      if (output !== undefined) this.accept(`hook:${name}`, output);
    });
  }

  /** Pack labels with a discovery command that are wanted and still unknown. */
  private packLabels(): LabelDefinition[] {
    return this.catalog
      .list()
      .filter(
        (def) =>
          def.discovery !== undefined &&
          !this.table.facts.has(def.name) &&
          (this.wanted === undefined || this.wanted.has(def.name)),
      );
  }

  private async packCommands(defs: readonly LabelDefinition[]): Promise<void> {
    const remaining = defs.filter((def) => !this.table.facts.has(def.name));
    const facts = await Promise.all(
      remaining.map((def) =>
        runDiscoveryCommand(def, this.timeoutMs, this.root.path, this.note(`pack:${def.name}`)),
      ),
    );
    remaining.forEach((def, i) => {
      this.probesRun.push(`pack:${def.name}`);
      const fact = facts[i];
      if (fact === undefined) return;
      const value = Array.isArray(fact) ? setFact(fact as readonly string[]) : fact;
      this.table.offer({ [def.name]: value }, () => `pack:${def.name}`);
    });
  }
}
