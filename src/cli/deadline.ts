// `--timeout`: one overall deadline for a command run, turned into an AbortSignal that the ops
// thread through every store call. Per-request deadlines (headers, transfer rate) live in the
// registry client; this one bounds the whole run, which is what an admission hook or a node agent
// needs: an answer, or an error, in a known time.
import { setMaxListeners } from "node:events";
import { Option } from "commander";
import { OcicompatError } from "../oci/errors.js";

/** Default overall deadlines; 0 means none (the per-request deadlines still apply). */
export const DEFAULT_TIMEOUTS = {
  /** select and check sit in admission hooks and node agents. */
  select: "30s",
  inspect: "60s",
  /** attach, detach, protect: a handful of small documents. */
  write: "120s",
  /** copy and verify move or hash layers of any size: bounded by the transfer-rate floor instead. */
  transfer: "0",
} as const;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `30s`, `1.5m`, `500ms`, `2h`; a bare number is seconds; `0` is no deadline. */
export function parseDuration(text: string, flag = "--timeout"): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!m) {
    throw new OcicompatError(
      "USAGE",
      `${flag} ${JSON.stringify(text)} is not a duration (like 30s, 2m, 500ms${flag === "--timeout" ? ", or 0 for none" : ""})`,
    );
  }
  const ms = Number(m[1]) * (UNITS[m[2] ?? "s"] ?? 1000);
  if (!Number.isFinite(ms) || ms > 2 ** 31 - 1) {
    throw new OcicompatError("USAGE", `${flag} ${text} is too long`);
  }
  return Math.round(ms);
}

export function timeoutOption(defaultValue: string): Option {
  return new Option(
    "--timeout <duration>",
    "give up on the whole command after this long (30s, 2m, 0 for none)",
  ).default(defaultValue);
}

/**
 * A signal that aborts with a TIMEOUT error once `timeout` has passed, or undefined for `0`. The
 * timer does not keep the process alive. `subject` (the reference the command works on) is what
 * the error line names. Writers order their pushes so that a run cut short tags nothing
 * incomplete (docs/security.md); the message need not say so.
 */
export function deadlineSignal(
  timeout: string | undefined,
  subject: string,
): AbortSignal | undefined {
  if (timeout === undefined) return undefined;
  const ms = parseDuration(timeout);
  if (ms === 0) return undefined;
  const controller = new AbortController();
  // Every store call of the run listens to this one signal; concurrent requests are not a leak.
  setMaxListeners(0, controller.signal);
  const timer = setTimeout(() => {
    controller.abort(
      new OcicompatError("TIMEOUT", `gave up after ${timeout.trim()} (--timeout)`, { subject }),
    );
  }, ms);
  timer.unref();
  return controller.signal;
}
