// From what an image contains to compatibility rules and findings, each with its provenance.
// Pure: the file view (file-view.ts), the config's Env and entrypoint and the entry's platform in;
// rules, GPU alternatives, findings and the resulting sets out.
//
// * minimum kernel: the NT_GNU_ABI_TAG of the C library and the dynamic loader (glibc records
//   the oldest kernel it was built to run on; "FATAL: kernel too old" otherwise);
// * x86-64 level: GNU_PROPERTY_X86_ISA_1_NEEDED of the loader, the C library and the entrypoint.
//   Files under glibc-hwcaps/ are optional builds the loader picks only when the CPU has the
//   level, so they never count;
// * the ELF machine of every executable and shared library against the entry's architecture;
// * NVIDIA_REQUIRE_* → one set per OR alternative over oci.gpu.nvidia.driver;
// * which C library the image ships, and its release (informational).
import { levelFlags } from "../x86-level.js";
import type { ElfFacts } from "./elf.js";
import { fileAt, type FileView, type ScannedFile } from "./file-view.js";
import { driverRuleOf, nvidiaRequirements, parseRequire } from "./nvidia-require.js";

export interface Evidence {
  /** Digest of the layer holding the file, or of the config for Env rules. */
  source: string;
  /** The file path in the image (`/usr/lib/...`), or `config.Env NAME`. */
  path: string;
  /** What in it: `NT_GNU_ABI_TAG Linux 3.2.0`, `GNU_PROPERTY_X86_ISA_1_NEEDED x86-64-v3`. */
  note: string;
}

export interface InferredRule {
  label: string;
  value: string;
  /** Why, in words: "the C library needs Linux 3.2.0 or later". */
  reason: string;
  evidence: Evidence[];
}

export type FindingSeverity = "error" | "warning" | "info";

export interface Finding {
  severity: FindingSeverity;
  /** A stable identifier: `architecture-mismatch`, `isa-above-variant`, `libc`, ... */
  code: string;
  message: string;
  evidence: Evidence[];
}

/** One OR alternative (a set of its own): the GPU rules of one NVIDIA_REQUIRE_* alternative. */
export interface InferredAlternative {
  description: string;
  rules: InferredRule[];
}

export interface EntryPlatformInput {
  os: string;
  architecture: string;
  variant?: string;
}

export interface AnalyzeInput {
  platform: EntryPlatformInput;
  /** The config's digest, the source of Env evidence. */
  config: string;
  env: readonly string[];
  entrypoint: readonly string[];
  cmd: readonly string[];
  view: FileView;
  /** Findings of the scan itself (bounds reached); they are passed through. */
  scanFindings?: readonly Finding[];
}

export interface Inference {
  rules: InferredRule[];
  alternatives: InferredAlternative[];
  libc: { kind: "glibc" | "musl" | "none"; release?: string; path?: string };
  findings: Finding[];
  /** The compatibility sets: the rules, once per GPU alternative (or once). */
  sets: Record<string, string>[];
}

const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/** At most this many sets come from combining several NVIDIA_REQUIRE_* variables. */
const MAX_GPU_SETS = 64;
/** Paths listed per architecture-mismatch finding; the count covers the rest. */
const LISTED_PATHS = 5;

const LOADER = /^(ld-linux[\w.-]*\.so\.\d+|ld64\.so\.\d+|ld\.so\.\d+|ld-musl-[\w-]+\.so\.1)$/;

function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

function isHwcaps(path: string): boolean {
  return path.split("/").includes("glibc-hwcaps");
}

function display(path: string): string {
  return `/${path}`;
}

function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function isBinary(facts: ElfFacts): boolean {
  return facts.header.type === "executable" || facts.header.type === "shared";
}

/** Architectures a kernel of `entry` runs natively besides its own (compat mode). */
const COMPAT_RUNS: Readonly<Record<string, readonly string[]>> = {
  amd64: ["386"],
  arm64: ["arm"],
};

function variantLevel(variant: string | undefined): number {
  const m = /^v(\d)$/.exec(variant ?? "");
  return m ? Number(m[1]) : 1;
}

/** The entrypoint's program: Entrypoint[0], else Cmd[0], found on PATH when it has no slash. */
function entrypointFile(input: AnalyzeInput): { name: string; file?: ScannedFile } | undefined {
  const program = input.entrypoint[0] ?? input.cmd[0];
  if (program === undefined || program === "") return undefined;
  if (program.includes("/")) {
    const file = fileAt(input.view, program);
    return file ? { name: program, file } : { name: program };
  }
  const pathVar = input.env.find((e) => e.startsWith("PATH="))?.slice(5) ?? DEFAULT_PATH;
  for (const dir of pathVar.split(":").filter(Boolean)) {
    const file = fileAt(input.view, `${dir}/${program}`);
    if (file) return { name: program, file };
  }
  return { name: program };
}

function evidenceOf(file: ScannedFile, note: string): Evidence {
  return { source: file.layer, path: display(file.path), note };
}

export function analyze(input: AnalyzeInput): Inference {
  const arch = input.platform.architecture;
  const findings: Finding[] = [...(input.scanFindings ?? [])];
  const rules: InferredRule[] = [];
  const files = [...input.view.files.values()];
  const native = (f: ScannedFile): boolean => f.facts.architecture === arch;

  // The C library and the loader.
  const libcs = files.filter(
    (f) => native(f) && !isHwcaps(f.path) && basename(f.path) === "libc.so.6",
  );
  const musl = files.filter(
    (f) => native(f) && /^(ld-musl-[\w-]+|libc\.musl-[\w-]+)\.so\.1$/.test(basename(f.path)),
  );
  const entry = entrypointFile(input);
  const loaders = new Map<string, ScannedFile>();
  for (const f of files) {
    if (native(f) && !isHwcaps(f.path) && LOADER.test(basename(f.path))) loaders.set(f.path, f);
  }
  const interp = entry?.file?.facts.interpreter;
  const interpFile = interp === undefined ? undefined : fileAt(input.view, interp);
  if (interpFile) loaders.set(interpFile.path, interpFile);

  const libc: Inference["libc"] = { kind: "none" };
  const glibc = libcs[0];
  if (glibc) {
    libc.kind = "glibc";
    libc.path = display(glibc.path);
    if (glibc.glibcRelease !== undefined) libc.release = glibc.glibcRelease;
    findings.push({
      severity: "info",
      code: "libc",
      message: `the image ships glibc${glibc.glibcRelease ? ` ${glibc.glibcRelease}` : ""}`,
      evidence: [
        evidenceOf(
          glibc,
          glibc.glibcRelease ? `banner: release version ${glibc.glibcRelease}` : "libc.so.6",
        ),
      ],
    });
  } else if (musl[0]) {
    libc.kind = "musl";
    libc.path = display(musl[0].path);
    findings.push({
      severity: "info",
      code: "libc",
      message: "the image ships musl",
      evidence: [evidenceOf(musl[0], basename(musl[0].path))],
    });
  }

  // Minimum kernel: the newest ABI tag of the C libraries and loaders.
  let kernel: { version: string; evidence: Evidence[] } | undefined;
  for (const f of [...libcs, ...loaders.values()]) {
    const tag = f.facts.abiTag;
    if (tag === undefined || tag.os !== "Linux") continue;
    const ev = evidenceOf(f, `NT_GNU_ABI_TAG Linux ${tag.version}`);
    if (kernel === undefined || compareVersions(tag.version, kernel.version) > 0) {
      kernel = { version: tag.version, evidence: [ev] };
    } else if (
      compareVersions(tag.version, kernel.version) === 0 &&
      !kernel.evidence.some((e) => e.path === ev.path)
    ) {
      kernel.evidence.push(ev);
    }
  }
  if (kernel && input.platform.os === "linux") {
    rules.push({
      label: "oci.kernel.version",
      value: `>=${kernel.version}`,
      reason: `the C library refuses kernels older than ${kernel.version} ("FATAL: kernel too old")`,
      evidence: kernel.evidence,
    });
  }

  // x86-64 level of the loader, the C library and the entrypoint.
  if (arch === "amd64") {
    const checked = new Map<string, ScannedFile>();
    for (const f of [...loaders.values(), ...libcs]) checked.set(f.path, f);
    if (entry?.file && native(entry.file) && !isHwcaps(entry.file.path))
      checked.set(entry.file.path, entry.file);
    let level = 1;
    let evidence: Evidence[] = [];
    for (const f of checked.values()) {
      const needed = f.facts.x86IsaNeeded;
      if (needed === undefined) continue;
      const ev = evidenceOf(
        f,
        `GNU_PROPERTY_X86_ISA_1_NEEDED x86-64-${needed === 1 ? "baseline" : `v${needed}`}`,
      );
      if (needed > level) {
        level = needed;
        evidence = [ev];
      } else if (needed === level && level > 1) {
        evidence.push(ev);
      }
    }
    if (level > 1) {
      const flag = levelFlags(level as 2 | 3 | 4).at(-1) as string;
      rules.push({
        label: "oci.cpu.features",
        value: flag,
        reason: `the loader, C library or entrypoint needs an x86-64-v${level} CPU ("CPU does not support x86-64-v${level}")`,
        evidence,
      });
      const declared = variantLevel(input.platform.variant);
      if (declared < level) {
        findings.push({
          severity: "error",
          code: "isa-above-variant",
          message: `the entry is amd64${input.platform.variant ? `/${input.platform.variant}` : ""} (x86-64-v${declared}) but its binaries need x86-64-v${level}: a node matched by the platform alone crashes at exec; build for v${declared} or declare variant v${level}`,
          evidence,
        });
      }
    }
  }

  // The ELF machine of every executable and shared library.
  const foreign = new Map<string, ScannedFile[]>();
  for (const f of files) {
    if (!isBinary(f.facts) || f.facts.architecture === undefined || native(f)) continue;
    const list = foreign.get(f.facts.architecture) ?? [];
    list.push(f);
    foreign.set(f.facts.architecture, list);
  }
  for (const [other, list] of foreign) {
    const compat = COMPAT_RUNS[arch]?.includes(other) ?? false;
    const sample = list.slice(0, LISTED_PATHS);
    const more = list.length > sample.length ? ` and ${list.length - sample.length} more` : "";
    findings.push({
      severity: compat ? "warning" : "error",
      code: "architecture-mismatch",
      message: compat
        ? `${list.length} ${other} ELF file(s) in the ${arch} entry: they run only where the kernel has ${other} compat support (${sample.map((f) => display(f.path)).join(", ")}${more})`
        : `${list.length} ${other} ELF file(s) in the ${arch} entry cannot run there (${sample.map((f) => display(f.path)).join(", ")}${more})`,
      evidence: sample.map((f) => evidenceOf(f, `e_machine ${f.facts.header.machine} (${other})`)),
    });
  }
  if (entry !== undefined && entry.file === undefined) {
    findings.push({
      severity: "info",
      code: "entrypoint-not-elf",
      message: `the entrypoint ${entry.name} is not among the ELF files read (a script, or beyond the bounds)`,
      evidence: [],
    });
  }

  // GPU alternatives from NVIDIA_REQUIRE_*.
  const alternatives = gpuAlternatives(input, findings);
  const base: Record<string, string> = {};
  for (const r of rules) base[r.label] = r.value;
  const sets =
    alternatives.length > 0
      ? alternatives.map((a) => {
          const set: Record<string, string> = { description: a.description, ...base };
          for (const r of a.rules) set[r.label] = r.value;
          return set;
        })
      : [
          {
            description:
              rules.length > 0
                ? "inferred from the image's contents"
                : "no requirements found in the image's contents",
            ...base,
          },
        ];
  return { rules, alternatives, libc, findings, sets };
}

function gpuAlternatives(input: AnalyzeInput, findings: Finding[]): InferredAlternative[] {
  let combined: InferredAlternative[] | undefined;
  for (const { name, value } of nvidiaRequirements(input.env)) {
    const parsed = parseRequire(value);
    for (const p of parsed.problems) {
      findings.push({
        severity: "warning",
        code: "nvidia-require-syntax",
        message: `${name}: ${JSON.stringify(p.text)} is ignored: ${p.message}`,
        evidence: [{ source: input.config, path: `config.Env ${name}`, note: p.text }],
      });
    }
    const mine: InferredAlternative[] = [];
    let unconstrained = false;
    const seen = new Set<string>();
    for (const alt of parsed.alternatives) {
      const rule = driverRuleOf(alt);
      for (const d of rule.dropped) {
        findings.push({
          severity: "info",
          code: "nvidia-require-dropped",
          message: `${name}: ${d.text} is not a label (${d.reason}); the set allows more than the runtime will`,
          evidence: [{ source: input.config, path: `config.Env ${name}`, note: alt.text }],
        });
      }
      if (rule.value === undefined) {
        unconstrained = true;
        continue;
      }
      if (seen.has(rule.value)) continue;
      seen.add(rule.value);
      mine.push({
        description: `${name} ${alt.text}`,
        rules: [
          {
            label: "oci.gpu.nvidia.driver",
            value: rule.value,
            reason: `the NVIDIA container runtime refuses to start the container unless ${alt.text}`,
            evidence: [{ source: input.config, path: `config.Env ${name}`, note: alt.text }],
          },
        ],
      });
    }
    if (unconstrained || mine.length === 0) {
      findings.push({
        severity: "info",
        code: "nvidia-require-unconstrained",
        message: `${name}: an alternative constrains nothing a label can express, so no driver rule is inferred from it`,
        evidence: [{ source: input.config, path: `config.Env ${name}`, note: value.slice(0, 200) }],
      });
      continue;
    }
    combined = combined === undefined ? mine : cross(combined, mine);
  }
  if (combined !== undefined && combined.length > MAX_GPU_SETS) {
    findings.push({
      severity: "warning",
      code: "nvidia-require-too-many",
      message: `the NVIDIA_REQUIRE_* variables combine into ${combined.length} alternatives; the first ${MAX_GPU_SETS} are kept`,
      evidence: [],
    });
    combined = combined.slice(0, MAX_GPU_SETS);
  }
  return combined ?? [];
}

/** Every alternative of `a` AND every alternative of `b`; the driver comparators are joined. */
function cross(a: InferredAlternative[], b: InferredAlternative[]): InferredAlternative[] {
  const out: InferredAlternative[] = [];
  for (const x of a) {
    for (const y of b) {
      const rx = x.rules[0] as InferredRule;
      const ry = y.rules[0] as InferredRule;
      out.push({
        description: `${x.description}; ${y.description}`,
        rules: [
          { ...rx, value: `${rx.value}, ${ry.value}`, evidence: [...rx.evidence, ...ry.evidence] },
        ],
      });
    }
  }
  return out;
}
