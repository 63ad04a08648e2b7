// `ocicompat copy SRC DST`: parsing, the progress bar (TTY only) and the summary.
import { Command, Option } from "commander";
import { enforceSourcePolicy } from "../../content/policy/policy-file.js";
import { copyImage, failedSide, type CopyRequest, type CopyResult } from "../../ops/copy.js";
import { errorMessage, OcicompatError } from "../../oci/errors.js";
import { parseReference, writtenTag, type Reference } from "../../oci/reference.js";
import { ExitCode, type ExitCode as Code } from "../exit-codes.js";
import { outputOption, renderData, type OutputFormat, formatBytes as size } from "../output.js";
import { addCopySideOptions, copyOpenersFrom, type CopySideFlags } from "../copy-openers.js";
import { addRegistryOptions, withOpener, type RegistryFlags } from "../registry-options.js";
import { DEFAULT_TIMEOUTS, deadlineSignal } from "../deadline.js";
import { formatProgress, showsProgress, type ProgressState } from "../progress.js";
import { type CommandHelp, EXIT_ERROR, REGISTRY_ENV, withHelp } from "../help.js";
import { startMemoryRelief } from "../memory.js";
import { failedOn, withSideHints } from "../copy-hints.js";
import {
  addSkopeoCopyOptions,
  skopeoCopyChoices,
  writeDigestFile,
  type SkopeoCopyFlags,
} from "../copy-skopeo.js";

interface CopyFlags extends RegistryFlags, CopySideFlags, SkopeoCopyFlags {
  concurrency: string;
  referrers?: boolean;
  platform?: string[];
  output: OutputFormat;
  progress?: boolean;
  mountMemory?: boolean;
  policy?: string;
  insecurePolicy?: boolean;
}

/**
 * Mount SRC's blobs from the repository of DST's registry they were read from: SRC's own, or
 * where registries.conf sent the read.
 */
function mountFrom(
  src: Reference,
  readFrom: { registry: string; repository: string } | undefined,
  dst: Reference,
): { mountFrom?: string } {
  if (src.scheme !== "registry" || dst.scheme !== "registry") return {};
  const { registry, repository } = readFrom ?? src;
  return registry === dst.registry && repository !== dst.repository
    ? { mountFrom: repository }
    : {};
}

/** The bar (cli-progress, loaded only on a terminal) on standard error; the text is progress.ts'. */
async function progressBar(): Promise<{
  hooks: NonNullable<CopyRequest["progress"]>;
  /** A retry starts over: the bar is cleared for `say`'s line, and counts from zero again. */
  restart(say: () => void): void;
  stop(): void;
}> {
  const { default: cliProgress } = await import("cli-progress");
  let started = Date.now();
  const state: ProgressState = { total: 0, done: 0, sent: 0, items: 0, elapsedMs: 0 };
  const bar = new cliProgress.SingleBar({
    format: () => formatProgress({ ...state, elapsedMs: Date.now() - started }),
    hideCursor: true,
    clearOnComplete: true,
    stream: process.stderr,
    fps: 10,
  });
  bar.start(1, 0);
  const update = (): void => {
    bar.setTotal(Math.max(state.total, 1));
    bar.update(Math.min(state.done, state.total));
  };
  return {
    hooks: {
      onDiscovered: (d) => {
        state.total += d.size;
        update();
      },
      onProgress: (_d, bytes) => {
        state.done += bytes;
        // A repeated push takes its bytes back from "done"; they were sent all the same.
        if (bytes > 0) state.sent += bytes;
        update();
      },
      // A mount moves no bytes: done, but not part of the transfer speed.
      onMounted: (d) => {
        state.sent -= d.size;
      },
      onCopied: () => {
        state.items++;
        update();
      },
      onSkipped: (d) => {
        state.done += d.size;
        state.items++;
        update();
      },
    },
    restart: (say) => {
      bar.stop();
      say();
      Object.assign(state, { total: 0, done: 0, sent: 0, items: 0 });
      started = Date.now();
      bar.start(1, 0);
    },
    stop: () => bar.stop(),
  };
}

function summary(input: { src: string; dst: string }, result: CopyResult): string {
  const s = result.stats;
  const lines = [
    `copied ${input.src} -> ${input.dst}${result.tag !== undefined ? ` (tag ${result.tag})` : " (by digest, no tag)"}`,
    `  ${result.root.digest}`,
    `  copied:  ${s.copied} blob${s.copied === 1 ? "" : "s"}, ${size(s.bytesCopied)}${s.mounted > 0 ? ` (${s.mounted} mounted, ${size(s.bytesMounted)} not re-sent)` : ""}`,
    `  skipped: ${s.skipped} already present, ${size(s.bytesSkipped)}`,
  ];
  if (s.repaired > 0)
    lines.push(
      `  repaired: ${s.repaired} blob${s.repaired === 1 ? "" : "s"} vanished from the destination during the copy (a gc?) and ${s.repaired === 1 ? "was" : "were"} sent again`,
    );
  if (s.referrers > 0)
    lines.push(
      `  referrers: ${s.referrers}${s.referrersTags.length > 0 ? `, fallback tags ${s.referrersTags.join(", ")}` : ""}`,
    );
  if (result.rewritten) {
    lines.push(
      `  note: --platform made a NEW index (${result.kept?.join(", ") ?? ""}); source ${result.sourceRoot.digest}, copy ${result.root.digest}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

const COPY_HELP: CommandHelp = {
  examples: [
    {
      command: "ocicompat copy registry.example/app:1.4 oci:app-layout",
      explains: "a registry image, compatibilities included, into an OCI layout (tag 1.4)",
    },
    {
      command: "ocicompat copy docker://registry.example/app:1.4 docker://mirror.example/app",
      explains: "to another registry, as skopeo writes it",
    },
    {
      command:
        "ocicompat copy --platform linux/amd64 --referrers oci:app-layout:1.4 oci-archive:app.tar",
      explains: "only the amd64 entries, with signatures and SBOMs, into an archive",
    },
    {
      command:
        "ocicompat copy -a -q --retry-times 3 --digestfile app.digest docker://registry.example/app:1.4 docker://mirror.example/app:1.4",
      explains:
        "a skopeo copy command line, as is: up to 3 retries, the digest written for the next step",
    },
  ],
  exit: { 0: "copied; DST is tagged", 2: `${EXIT_ERROR}; DST is then left untagged` },
  env: [...REGISTRY_ENV],
};

export function copyCommand(run: (code: Code) => void): Command {
  const command = withHelp(new Command("copy"), COPY_HELP)
    .description(
      "copy an image with its whole graph, compatibilities included, between registries, oci: layouts and oci-archive: files",
    )
    .argument("<src>", "registry/repo:tag|@digest, oci:DIR[:tag|@digest] or oci-archive:FILE[:tag]")
    .argument(
      "<dst>",
      "registry/repo[:tag], oci:DIR[:tag] or oci-archive:FILE[:tag]; the tag defaults to SRC's",
    )
    .addOption(new Option("--concurrency <n>", "blobs transferred at once").default("4"))
    .addOption(new Option("--referrers", "also copy referrers, and their fallback tags"))
    .addOption(
      new Option(
        "--platform <os/arch[/variant]>",
        "keep only these index entries (repeatable); the copied index is then a new document",
      ).argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]),
    )
    .addOption(new Option("--no-progress", "no progress bar, even on a terminal"))
    .addOption(
      new Option(
        "--no-mount-memory",
        "neither use nor update the memory of where blobs were seen (blob-locations/ in the cache directory), which lets a copy mount blobs from other repositories of the destination registry",
      ),
    )
    .addOption(
      new Option(
        "--policy <file>",
        "the signature policy (containers-policy.json) SRC must satisfy (default: ~/.config/containers/policy.json, else /etc/containers/policy.json)",
      ),
    )
    .addOption(
      new Option("--insecure-policy", "copy without consulting the signature policy, as skopeo's"),
    )
    .addOption(outputOption());
  addSkopeoCopyOptions(command);
  return addCopySideOptions(addRegistryOptions(command, DEFAULT_TIMEOUTS.transfer)).action(
    async (srcInput: string, dstInput: string, opts: CopyFlags, cmd: Command) => {
      const skopeo = skopeoCopyChoices(opts, cmd);
      const concurrency = Number(opts.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64)
        throw new OcicompatError(
          "USAGE",
          `--concurrency must be an integer from 1 to 64, not ${opts.concurrency}`,
        );
      const signal = deadlineSignal(opts.timeout, `${srcInput} -> ${dstInput}`);
      const srcRef = parseReference(srcInput);
      const dstRef = parseReference(dstInput);
      // Before any request: what the policy refuses is not read either.
      enforceSourcePolicy(srcRef, srcInput, opts.insecurePolicy === true ? false : opts.policy);
      if (dstRef.scheme !== "oci-archive" && dstRef.digest !== undefined)
        throw new OcicompatError(
          "USAGE",
          `the destination ${dstInput} names a digest; give a tag or none`,
        );
      const openers = await copyOpenersFrom(opts, {
        blobLocations: opts.mountMemory !== false,
        registries: { src: registryOf(srcRef), dst: registryOf(dstRef) },
      });
      // Dead read buffers are freed while data moves, the archive's extraction and packing included.
      const relief = startMemoryRelief();
      // An archive is written when the opener closes; the summary follows a complete copy.
      const result = await withOpener(openers, async () => {
        const opened = await openers.src
          .open(srcRef, { pull: true, signal })
          .catch(failedOn("source"));
        const { store: src, reference } = opened;
        if (reference === undefined)
          throw new OcicompatError("USAGE", `${srcInput} names no tag or digest`);
        const { store: dst } = await openers.dst
          .open(dstRef, { create: true })
          .catch(failedOn("destination"));
        // A registry DST without a tag takes SRC's, not docker's default `latest`.
        const tag = writtenTag(dstInput) ?? srcRef.tag;
        const bar = showsProgress({
          isTTY: process.stderr.isTTY,
          progressFlag: skopeo.quiet ? false : opts.progress,
          output: opts.output,
          env: process.env,
        })
          ? await progressBar()
          : undefined;
        try {
          return await copyImage({
            src,
            reference,
            dst,
            concurrency,
            ...(tag !== undefined ? { tag } : {}),
            ...(opts.referrers ? { referrers: true } : {}),
            ...(opts.platform?.length ? { platforms: opts.platform } : {}),
            ...mountFrom(srcRef, opened.source, dstRef),
            ...(bar ? { progress: bar.hooks } : {}),
            ...(signal ? { signal } : {}),
            ...(skopeo.preserveDigests ? { preserveDigests: true } : {}),
            retries: skopeo.retries,
            ...(skopeo.retryDelayMs === undefined ? {} : { retryDelayMs: skopeo.retryDelayMs }),
            onRetry: ({ attempt, retries, delayMs, error }) => {
              const say = (): void =>
                void process.stderr.write(
                  `ocicompat: warning: ${errorMessage(withSideHints(error, failedSide(error)))}; copying again in ${seconds(delayMs)} (retry ${attempt} of ${retries})\n`,
                );
              if (bar) bar.restart(say);
              else say();
            },
          }).catch((err: unknown) => failedOn(failedSide(err))(err));
        } finally {
          bar?.stop();
        }
      }).finally(() => relief.stop());
      for (const w of result.stats.warnings) process.stderr.write(`ocicompat: warning: ${w}\n`);
      if (opts.digestfile !== undefined)
        await writeDigestFile(opts.digestfile, result.root.digest, dstInput);
      if (skopeo.quiet) {
        run(ExitCode.Ok);
        return;
      }
      if (opts.output === "table")
        process.stdout.write(summary({ src: srcInput, dst: dstInput }, result));
      else process.stdout.write(await renderData(opts.output, result));
      run(ExitCode.Ok);
    },
  );
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${Math.round(ms / 100) / 10}s`;
}

function registryOf(ref: Reference): string | undefined {
  return ref.scheme === "registry" ? ref.registry : undefined;
}
