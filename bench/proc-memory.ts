// A child process's private memory, sampled from /proc (Linux): the part of its RSS that is its
// own (RssAnon: heap, stacks, buffers), as opposed to pages of files it maps (RssFile: above all
// its executable, which for Node.js is ~35 MiB of a 40 MiB `node -e 0`, shared by every Node.js
// process and reclaimable). Peak RSS (/usr/bin/time's %M) counts both, and Linux keeps no peak
// of the private part alone, so it is read every few milliseconds while the process runs.
import { readFileSync } from "node:fs";

export interface MemorySample {
  /** The highest RssAnon seen, KiB. */
  anonKiB: number;
  /** The highest RssFile seen, KiB. */
  fileKiB: number;
}

const INTERVAL_MS = 5;

function statusOf(pid: number): { anon: number; file: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, "utf8");
    const anon = /^RssAnon:\s+(\d+) kB$/m.exec(text);
    const file = /^RssFile:\s+(\d+) kB$/m.exec(text);
    return anon && file ? { anon: Number(anon[1]), file: Number(file[1]) } : undefined;
  } catch {
    return undefined; // gone, or not Linux
  }
}

/** The first child of `pid` (the tool that /usr/bin/time runs), once it exists. */
function childOf(pid: number): number | undefined {
  try {
    const first = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(" ")[0];
    return first ? Number(first) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Samples the memory of `launcher`'s child (or of `launcher` itself with `direct`) until stop()
 * is called; stop() returns the peaks seen.
 */
export function sampleMemory(launcher: number, direct = false): { stop(): MemorySample } {
  const peak: MemorySample = { anonKiB: 0, fileKiB: 0 };
  let pid: number | undefined = direct ? launcher : undefined;
  const take = () => {
    pid ??= childOf(launcher);
    const status = pid === undefined ? undefined : statusOf(pid);
    if (status === undefined) return;
    peak.anonKiB = Math.max(peak.anonKiB, status.anon);
    peak.fileKiB = Math.max(peak.fileKiB, status.file);
  };
  const timer = setInterval(take, INTERVAL_MS);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}
