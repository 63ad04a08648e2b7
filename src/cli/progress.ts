// copy's progress line: bytes done of the total, the transfer speed and the time left, on a
// terminal only. The decision and the text are plain functions; cli-progress only redraws.
import { formatBytes } from "./output.js";

export interface ProgressState {
  /** Bytes of the graph found so far (the total grows while the walk discovers children). */
  total: number;
  /** Bytes done: sent, mounted, or skipped because the destination had them. */
  done: number;
  /** Bytes actually transferred; speed and time left count only these. */
  sent: number;
  /** Blobs done. */
  items: number;
  elapsedMs: number;
}

export interface ProgressContext {
  /** Whether standard error is a terminal. */
  isTTY: boolean | undefined;
  /** false after --no-progress. */
  progressFlag: boolean | undefined;
  output: string;
  env: NodeJS.ProcessEnv;
}

/**
 * A bar only for a person watching: stderr is a terminal that can redraw a line (not TERM=dumb),
 * the output is the table (not a document that a program reads), and --no-progress was not given.
 */
export function showsProgress(c: ProgressContext): boolean {
  return (
    c.isTTY === true && c.progressFlag !== false && c.output === "table" && c.env["TERM"] !== "dumb"
  );
}

const BAR_WIDTH = 24;
// Below this, the speed is mostly start-up noise and the time left would jump about.
const MIN_ELAPSED_FOR_RATE_MS = 500;

/** `copying [#####-----]  42% | 12.0 MiB / 28.5 MiB | 4.1 MiB/s | ETA 4s | 3 blobs` */
export function formatProgress(s: ProgressState): string {
  const fraction = s.total > 0 ? Math.min(s.done / s.total, 1) : 0;
  const filled = Math.round(fraction * BAR_WIDTH);
  const bar = `${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}`;
  const percent = `${Math.floor(fraction * 100)}`.padStart(3);
  const rate = s.elapsedMs >= MIN_ELAPSED_FOR_RATE_MS ? (s.sent * 1000) / s.elapsedMs : 0;
  const speed = rate > 0 ? `${formatBytes(Math.round(rate))}/s` : "-- B/s";
  const left = Math.max(s.total - s.done, 0);
  const eta = left === 0 ? "0s" : rate > 0 ? formatEta(left / rate) : "--";
  return `copying [${bar}] ${percent}% | ${formatBytes(s.done)} / ${formatBytes(s.total)} | ${speed} | ETA ${eta} | ${s.items} blob${s.items === 1 ? "" : "s"}`;
}

/** `45s`, `3m07s`, `1h02m`: short, and steady in width within each range. */
export function formatEta(seconds: number): string {
  const total = Math.ceil(seconds);
  if (total < 60) return `${total}s`;
  const minutes = Math.floor(total / 60);
  if (minutes < 60) return `${minutes}m${String(total % 60).padStart(2, "0")}s`;
  const hours = Math.floor(minutes / 60);
  return hours >= 100 ? ">99h" : `${hours}h${String(minutes % 60).padStart(2, "0")}m`;
}
