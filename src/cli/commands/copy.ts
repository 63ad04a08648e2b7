// `ocicompat copy SRC DST`: parsing, the progress bar (TTY only) and the summary.
import { Command, Option } from "commander";
import { copyImage, type CopyRequest, type CopyResult } from "../../ops/copy.js";
import { OcicompatError } from "../../oci/errors.js";
import { parseReference, type Reference } from "../../oci/reference.js";
import { ExitCode, type ExitCode as Code } from "../exit-codes.js";
import { outputOption, renderData, type OutputFormat, formatBytes as size } from "../output.js";
import {
  addRegistryOptions,
  openerFrom,
  withOpener,
  type RegistryFlags,
} from "../registry-options.js";
import { DEFAULT_TIMEOUTS, deadlineSignal } from "../deadline.js";

interface CopyFlags extends RegistryFlags {
  concurrency: string;
  referrers?: boolean;
  platform?: string[];
  output: OutputFormat;
  progress?: boolean;
  mountMemory?: boolean;
}

/** The tag DST names itself; a registry reference without one defaults to SRC's, not `latest`. */
function explicitTag(input: string, ref: Reference): string | undefined {
  if (ref.scheme !== "registry") return ref.tag;
  const last = input.slice(input.lastIndexOf("/") + 1);
  return last.includes(":") ? ref.tag : undefined;
}

function sameRegistry(a: Reference, b: Reference): a is Reference & { scheme: "registry" } {
  return (
    a.scheme === "registry" &&
    b.scheme === "registry" &&
    a.registry === b.registry &&
    a.repository !== b.repository
  );
}

/** The bar (cli-progress, loaded only on a terminal) on standard error. */
async function progressBar(): Promise<{
  hooks: NonNullable<CopyRequest["progress"]>;
  stop(): void;
}> {
  const { default: cliProgress } = await import("cli-progress");
  const bar = new cliProgress.SingleBar(
    {
      format: "copying [{bar}] {percentage}% | {done}/{total_h} | {items} blobs",
      hideCursor: true,
      clearOnComplete: true,
      stream: process.stderr,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  let total = 0;
  let done = 0;
  let items = 0;
  bar.start(1, 0, { done: "0 B", total_h: "0 B", items: 0 });
  const update = (): void => {
    bar.setTotal(Math.max(total, 1));
    bar.update(Math.min(done, total), { done: size(done), total_h: size(total), items });
  };
  return {
    hooks: {
      onDiscovered: (d) => {
        total += d.size;
        update();
      },
      onProgress: (_d, bytes) => {
        done += bytes;
        update();
      },
      onCopied: () => {
        items++;
        update();
      },
      onSkipped: (d) => {
        done += d.size;
        items++;
        update();
      },
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

export function copyCommand(run: (code: Code) => void): Command {
  const command = new Command("copy")
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
        "neither use nor update the memory of where blobs were seen (blob-locations.json in the cache directory), which lets a copy mount blobs from other repositories of the destination registry",
      ),
    )
    .addOption(outputOption());
  return addRegistryOptions(command, DEFAULT_TIMEOUTS.transfer).action(
    async (srcInput: string, dstInput: string, opts: CopyFlags) => {
      const concurrency = Number(opts.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64)
        throw new OcicompatError(
          "USAGE",
          `--concurrency must be an integer from 1 to 64, not ${opts.concurrency}`,
        );
      const signal = deadlineSignal(opts.timeout, `${srcInput} -> ${dstInput}`);
      const srcRef = parseReference(srcInput);
      const dstRef = parseReference(dstInput);
      if (dstRef.scheme !== "oci-archive" && dstRef.digest !== undefined)
        throw new OcicompatError(
          "USAGE",
          `the destination ${dstInput} names a digest; give a tag or none`,
        );
      const opener = await openerFrom(opts, { blobLocations: opts.mountMemory !== false });
      // An archive is written when the opener closes; the summary follows a complete copy.
      const result = await withOpener(opener, async () => {
        const { store: src, reference } = await opener.open(srcRef);
        if (reference === undefined)
          throw new OcicompatError("USAGE", `${srcInput} names no tag or digest`);
        const { store: dst } = await opener.open(dstRef, { create: true });
        const tag = explicitTag(dstInput, dstRef) ?? srcRef.tag;
        const bar =
          process.stderr.isTTY && opts.progress !== false && opts.output === "table"
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
            ...(sameRegistry(srcRef, dstRef) ? { mountFrom: srcRef.repository } : {}),
            ...(bar ? { progress: bar.hooks } : {}),
            ...(signal ? { signal } : {}),
          });
        } finally {
          bar?.stop();
        }
      });
      for (const w of result.stats.warnings) process.stderr.write(`ocicompat: warning: ${w}\n`);
      if (opts.output === "table")
        process.stdout.write(summary({ src: srcInput, dst: dstInput }, result));
      else process.stdout.write(await renderData(opts.output, result));
      run(ExitCode.Ok);
    },
  );
}
