// skopeo copy's flags that have a meaning here, so that a skopeo command line (or a script built
// around one) runs as `ocicompat copy` with the same result: --all, --multi-arch, --quiet,
// --digestfile, --preserve-digests, --retry-times, --retry-delay. Flags whose result ocicompat
// would not honour are refused with the reason, never accepted and ignored.
import { lstat, writeFile } from "node:fs/promises";
import type { Command } from "commander";
import { Option } from "commander";
import { errnoOf, writeFileAtomic } from "../content/layout/files.js";
import { errorMessage, OcicompatError } from "../oci/errors.js";
import { parseDuration } from "./deadline.js";

export interface SkopeoCopyFlags {
  all?: boolean;
  multiArch?: "all" | "system" | "index-only";
  preserveDigests?: boolean;
  quiet?: boolean;
  digestfile?: string;
  retryTimes: string;
  retryDelay?: string;
}

export function addSkopeoCopyOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        "-a, --all",
        "copy every image an index lists: what copy always does (skopeo's --all)",
      ),
    )
    .addOption(
      new Option(
        "--multi-arch <how>",
        "all: every image of an index (the default); skopeo's system and index-only are refused (see docs/cli.md)",
      ).choices(["all", "system", "index-only"]),
    )
    .addOption(
      new Option(
        "--preserve-digests",
        "fail rather than write the image under a new digest; copy never converts, so only a --platform that drops entries does (skopeo's)",
      ),
    )
    .addOption(
      new Option(
        "-q, --quiet",
        "print nothing on standard output and show no progress; warnings and errors still go to standard error",
      ),
    )
    .addOption(
      new Option(
        "--digestfile <file>",
        "once DST is tagged, write the digest of what it names to this file (skopeo's)",
      ),
    )
    .addOption(
      new Option(
        "--retry-times <n>",
        "copy again, up to n times, after a failure that may pass: 429, 5xx, a reset or refused connection (what DST holds is skipped)",
      ).default("0"),
    )
    .addOption(
      new Option(
        "--retry-delay <duration>",
        "the wait before each retry (default: 1s, doubled each time)",
      ),
    );
}

export interface SkopeoCopyChoices {
  retries: number;
  retryDelayMs?: number;
  quiet: boolean;
  preserveDigests: boolean;
}

/** The flags' meaning, or a USAGE error for what copy cannot do as skopeo would. */
export function skopeoCopyChoices(flags: SkopeoCopyFlags, command: Command): SkopeoCopyChoices {
  if (flags.multiArch === "system") {
    throw new OcicompatError(
      "USAGE",
      "--multi-arch system is not supported: copy keeps the choice between an index's images for the node that pulls it. Copy one platform's entries with --platform OS/ARCH, or copy the digest that `ocicompat select REF` picks for this node",
    );
  }
  if (flags.multiArch === "index-only") {
    throw new OcicompatError(
      "USAGE",
      "--multi-arch index-only would tag an index whose images are not there; copy never tags incomplete content",
    );
  }
  if (flags.quiet === true && command.getOptionValueSource("output") === "cli") {
    throw new OcicompatError("USAGE", "give --quiet or --output, not both");
  }
  const retries = Number(flags.retryTimes);
  if (!Number.isInteger(retries) || retries < 0 || retries > 100) {
    throw new OcicompatError(
      "USAGE",
      `--retry-times must be an integer from 0 to 100, not ${flags.retryTimes}`,
    );
  }
  return {
    retries,
    ...(flags.retryDelay === undefined
      ? {}
      : { retryDelayMs: parseDuration(flags.retryDelay, "--retry-delay") }),
    quiet: flags.quiet === true,
    preserveDigests: flags.preserveDigests === true,
  };
}

/**
 * skopeo's --digestfile: the digest alone, no newline. A regular file (or none yet) is replaced
 * atomically, so a reader never sees it half written; anything else (a symbolic link, a pipe,
 * /dev/stdout) is written through, as skopeo's os.WriteFile does, instead of being replaced.
 */
export async function writeDigestFile(path: string, digest: string, dst: string): Promise<void> {
  const bytes = new TextEncoder().encode(digest);
  try {
    const kind = await lstat(path).then(
      (info) => (info.isFile() ? "file" : "other"),
      (err: unknown) => {
        if (errnoOf(err) === "ENOENT") return "file";
        throw err;
      },
    );
    if (kind === "file") await writeFileAtomic(path, bytes, { durable: false });
    else await writeFile(path, bytes);
  } catch (err) {
    const errno = errnoOf(err);
    const why =
      errno === "ENOENT"
        ? "its directory does not exist"
        : errno === "EACCES" || errno === "EPERM"
          ? "permission denied"
          : errno === "EISDIR"
            ? "it is a directory"
            : errorMessage(err);
    throw new OcicompatError(
      "IO",
      `the copy to ${dst} is complete, but the --digestfile cannot be written: ${why}`,
      { subject: path, cause: err },
    );
  }
}
