// `ocicompat verify REF`, `ocicompat protect REF` and `ocicompat gc oci:DIR`: parsing and rendering only.
import { Command, Option } from "commander";
import { OcicompatError } from "../../oci/errors.js";
import { parseReference } from "../../oci/reference.js";
import { layoutGc, type LayoutGcResult } from "../../ops/layout-gc.js";
import {
  protect,
  ProtectAnchors,
  type ProtectAnchor,
  type ProtectResult,
} from "../../ops/protect.js";
import { verify, type VerifyResult } from "../../ops/verify.js";
import { ExitCode, type ExitCode as Code } from "../exit-codes.js";
import { color, outputOption, renderData, type OutputFormat } from "../output.js";
import {
  addRegistryOptions,
  openerFrom,
  withOpener,
  type RegistryFlags,
} from "../registry-options.js";
import { DEFAULT_TIMEOUTS, deadlineSignal } from "../deadline.js";
import { type CommandHelp, EXIT_ERROR, REGISTRY_ENV, withHelp } from "../help.js";

const REF_HELP = "registry/repo:tag, oci:DIR[:tag|@digest] or oci-archive:FILE[:tag]";

const VERIFY_HELP: CommandHelp = {
  examples: [
    {
      command: "ocicompat verify registry.example/app:1.4",
      explains: "every descriptor, compatibilities included, is present and matches",
    },
    {
      command: "ocicompat verify --gc registry.example/app:1.4",
      explains: "also what keeps compat content alive under registry garbage collection",
    },
    {
      command: "ocicompat verify --blobs -o json oci:app-layout:1.4",
      explains: "hash every blob too, and print JSON",
    },
  ],
  exit: {
    0: "complete: everything is present and matches",
    1: "something is missing, mismatched or (with --gc) unanchored",
    2: EXIT_ERROR,
  },
  env: [...REGISTRY_ENV],
};

export function verifyCommand(run: (code: Code) => void): Command {
  const command = withHelp(new Command("verify"), VERIFY_HELP)
    .description(
      "check that everything a reference names is present and matches its descriptor, compat content included: manifests are read and verified; blobs are hashed in layouts and archives, and in registries only with --blobs (else checked for presence only)",
    )
    .argument("<ref>", REF_HELP)
    .addOption(
      new Option("--gc", "also report which anchor keeps each piece of compat content alive"),
    )
    .addOption(
      new Option(
        "--blobs",
        "registries: download and hash every blob (layouts and archives are always hashed)",
      ),
    )
    .addOption(outputOption());
  return addRegistryOptions(command, DEFAULT_TIMEOUTS.transfer).action(
    async (
      input: string,
      opts: RegistryFlags & { gc?: boolean; blobs?: boolean; output: OutputFormat },
    ) => {
      const signal = deadlineSignal(opts.timeout, input);
      const opener = await openerFrom(opts);
      const result: VerifyResult = await withOpener(opener, async () => {
        const { store, reference } = await opener.open(parseReference(input));
        if (reference === undefined)
          throw new OcicompatError("USAGE", `${input} names no tag or digest`);
        return verify(store, reference, {
          ...(opts.gc ? { gc: true } : {}),
          ...(opts.blobs ? { blobs: true } : {}),
          ...(signal ? { signal } : {}),
        });
      });
      for (const w of result.warnings) process.stderr.write(`ocicompat: warning: ${w}\n`);
      if (opts.output === "table") process.stdout.write(renderVerify(input, result));
      else process.stdout.write(await renderData(opts.output, result));
      run(result.ok ? ExitCode.Ok : ExitCode.Failed);
    },
  );
}

function renderVerify(input: string, r: VerifyResult): string {
  const lines: string[] = [];
  const blobs = `${r.checked.blobs} blob${r.checked.blobs === 1 ? "" : "s"}`;
  const checked = `${r.checked.manifests} document${r.checked.manifests === 1 ? "" : "s"} read, ${r.blobCheck === "hashed" ? `${blobs} hashed` : `${blobs} checked for presence only`}`;
  if (r.anchors !== undefined) {
    for (const a of r.anchors) {
      const kept =
        a.anchors.length === 0
          ? color.red("NOTHING keeps it")
          : a.anchors.map((x) => `${x.kind} ${x.name}${x.weak ? " (weak)" : ""}`).join(", ");
      const keeper = a.form === "blob" ? `  keeper ${a.keeper ?? color.red("none")}` : "";
      lines.push(`${a.location}  ${a.form} ${a.digest}${keeper}`);
      lines.push(`  kept by: ${kept}`);
    }
  }
  for (const p of r.problems) {
    lines.push(`${color.red(p.kind.toUpperCase())}  ${p.location}  ${p.digest}`);
    lines.push(`  ${p.message}`);
  }
  const verdict = r.ok
    ? color.green(`ok: ${input} is complete (${checked})`)
    : color.red(
        `${r.problems.length} problem${r.problems.length === 1 ? "" : "s"} in ${input} (${checked})`,
      );
  lines.push(verdict);
  if (r.blobCheck === "presence" && r.checked.blobs > 0)
    lines.push(
      "note: blob contents were not read, only their presence was checked; --blobs downloads and hashes them",
    );
  return `${lines.join("\n")}\n`;
}

const PROTECT_HELP: CommandHelp = {
  examples: [
    {
      command: "ocicompat protect registry.example/app:1.4",
      explains: "add GC anchors to compat content another tool attached",
    },
    {
      command: "ocicompat protect --anchor tag oci:app-layout:1.4",
      explains: "write both anchor tags, even where something already protects it",
    },
  ],
  exit: {
    0: "every compat content is protected",
    1: "a conflict, or compat content that is missing",
    2: EXIT_ERROR,
  },
  env: [...REGISTRY_ENV],
};

export function protectCommand(run: (code: Code) => void): Command {
  const command = withHelp(new Command("protect"), PROTECT_HELP)
    .description(
      "add GC anchors (the .compat tag, the referrers fallback index, a keeper for Proposal J blobs) to compat content another tool attached",
    )
    .argument("<ref>", REF_HELP)
    .addOption(
      new Option("--anchor <policy>", "auto: what the store needs; tag: always both tags")
        .choices(ProtectAnchors)
        .default("auto"),
    )
    .addOption(
      new Option(
        "--images",
        "also tag every manifest the index lists (sha256-<hex>.keep), which distribution's garbage-collect --delete-untagged deletes otherwise",
      ),
    )
    .addOption(outputOption());
  return addRegistryOptions(command, DEFAULT_TIMEOUTS.write).action(
    async (
      input: string,
      opts: RegistryFlags & { anchor: ProtectAnchor; images?: boolean; output: OutputFormat },
    ) => {
      const signal = deadlineSignal(opts.timeout, input);
      const opener = await openerFrom(opts);
      const result: ProtectResult = await withOpener(opener, async () => {
        const { store, reference } = await opener.open(parseReference(input));
        if (reference === undefined)
          throw new OcicompatError("USAGE", `${input} names no tag or digest`);
        return protect(store, reference, {
          anchor: opts.anchor,
          images: opts.images === true,
          ...(signal ? { signal } : {}),
        });
      });
      for (const w of result.warnings) process.stderr.write(`ocicompat: warning: ${w}\n`);
      if (opts.output === "table") process.stdout.write(renderProtect(result));
      else process.stdout.write(await renderData(opts.output, result));
      run(result.ok ? ExitCode.Ok : ExitCode.Failed);
    },
  );
}

function protectStatus(status: string): string {
  if (status === "protected") return color.green("protected");
  return status === "already" ? "already protected" : color.red(status);
}

function renderProtect(r: ProtectResult): string {
  const lines: string[] = [];
  for (const e of r.entries) {
    lines.push(`${e.location}  ${e.form} ${e.digest}  ${protectStatus(e.status)}`);
    if (e.message) lines.push(`  ${e.message}`);
  }
  for (const i of r.images) {
    lines.push(`${i.location}  image ${i.digest}  ${protectStatus(i.status)}`);
  }
  for (const w of r.writes) {
    const what = w.tag === undefined ? w.descriptor.digest : `${w.tag} -> ${w.descriptor.digest}`;
    lines.push(`  wrote ${w.role}: ${what}${w.skipped ? " (already there)" : ""}`);
  }
  if (r.entries.length === 0 && r.images.length === 0) lines.push("no compat descriptors found");
  return `${lines.join("\n")}\n`;
}

const GC_HELP: CommandHelp = {
  examples: [
    {
      command: "ocicompat gc --dry-run oci:app-layout",
      explains: "list the blobs nothing reachable references, without removing them",
    },
    {
      command: "ocicompat gc --grace 10m oci:app-layout",
      explains: "remove them, keeping those changed in the last 10 minutes",
    },
  ],
  exit: { 0: "collected (or, with --dry-run, listed)", 2: EXIT_ERROR },
  env: [],
};

export function gcCommand(run: (code: Code) => void): Command {
  return withHelp(new Command("gc"), GC_HELP)
    .description(
      "remove blobs of an OCI layout that nothing in index.json reaches (compat content counts) and that are older than --grace, and stale temp files",
    )
    .argument("<layout>", "oci:DIR")
    .addOption(new Option("--dry-run", "list what would be removed, remove nothing"))
    .addOption(
      new Option(
        "--grace <duration>",
        "keep unreachable blobs changed within this long (a writer may be about to tag them): 0, 30s, 10m, 1h, 2d",
      ).default("1h"),
    )
    .addOption(outputOption())
    .action(
      async (input: string, opts: { dryRun?: boolean; grace: string; output: OutputFormat }) => {
        const graceMs = parseDuration("--grace", opts.grace);
        const ref = parseReference(input.includes(":") ? input : `oci:${input}`);
        if (ref.scheme !== "oci-layout") {
          throw new OcicompatError("USAGE", "gc works on OCI layouts only (oci:DIR)", {
            subject: input,
          });
        }
        const result = await layoutGc(ref.path, {
          graceMs,
          ...(opts.dryRun ? { dryRun: true } : {}),
        });
        for (const w of result.warnings) process.stderr.write(`ocicompat: warning: ${w}\n`);
        if (result.missing.length > 0) {
          process.stderr.write(
            `ocicompat: warning: ${input}: ${result.missing.length} referenced blob(s) are missing: ${result.missing.join(", ")}\n`,
          );
        }
        if (opts.output === "table") process.stdout.write(renderGc(result));
        else process.stdout.write(await renderData(opts.output, result));
        run(ExitCode.Ok);
      },
    );
}

const DURATION_UNITS_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * `30s`, `10m`, `1h`, `2d` or `0`, in milliseconds. A bare number other than 0 is refused: seconds
 * and milliseconds are both plausible readings, and guessing wrong deletes blobs.
 */
export function parseDuration(flag: string, value: string): number {
  const match = /^(\d+)([smhd])?$/.exec(value);
  const amount = match === null ? NaN : Number(match[1]);
  const unit = match?.[2] as keyof typeof DURATION_UNITS_MS | undefined;
  const ms = unit === undefined ? (amount === 0 ? 0 : NaN) : amount * DURATION_UNITS_MS[unit];
  if (!Number.isSafeInteger(ms)) {
    throw new OcicompatError(
      "USAGE",
      `${flag} takes a whole number with a unit s, m, h or d (like 30s, 10m, 1h, 2d) or 0, not ${JSON.stringify(value)}`,
    );
  }
  return ms;
}

/** `ms` in the largest unit that divides it, as `--grace` takes it. */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0";
  for (const unit of ["d", "h", "m", "s"] as const)
    if (ms % DURATION_UNITS_MS[unit] === 0) return `${ms / DURATION_UNITS_MS[unit]}${unit}`;
  return `${ms}ms`;
}

function renderGc(r: LayoutGcResult): string {
  const verb = r.dryRun ? "would remove" : "removed";
  const lines = [
    ...r.removed.map((f) => `${verb} ${f.digest ?? f.path}  ${f.size} B`),
    ...r.temps.map((f) => `${verb} temp file ${f.path}  ${f.size} B`),
  ];
  if (r.recent.length > 0) {
    const bytes = r.recent.reduce((sum, f) => sum + f.size, 0);
    lines.push(
      `${r.dryRun ? "would keep" : "kept"} ${r.recent.length} unreachable blob(s) (${bytes} B) as recent: changed in the last ${formatDuration(r.graceMs)} (or referenced by a manifest that was), a writer may still be about to tag them; --grace sets the period`,
    );
  }
  lines.push(
    `${r.layout}: ${r.roots} root(s), ${r.kept} blob(s) kept, ${r.recent.length} recent blob(s) kept, ${r.removed.length} blob(s) and ${r.temps.length} temp file(s) ${r.dryRun ? "to remove" : "removed"}, ${r.bytes} bytes`,
  );
  return `${lines.join("\n")}\n`;
}
