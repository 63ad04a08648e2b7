// Keeps a transfer's peak memory near the process's baseline. Every socket or file read hands
// Node a fresh 64-256 KiB buffer that lives outside V8's heap; V8 frees it only when it collects
// the tiny object that owns it, and it starts such a collection on its own only after tens of
// MiB of these buffers have piled up (RSS ~35 MiB above baseline in a 256 MiB copy). Reusing read
// buffers is unsafe where a socket write may still hold them, and neither V8 heap flags nor
// malloc settings changed the peak (docs/design.md, "Memory of transfers"), so the copy command
// checks the array-buffer total every few milliseconds and runs a young-generation collection
// when dead buffers have reached a few MiB: the objects that own fresh buffers are young. (A full
// collection at the same points was measured too: the same peak, and up to 1.7x the time.)
// The CLI only: the library (dist/src) leaves the engine alone.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** Array-buffer bytes above which the next check collects. */
const THRESHOLD_BYTES = 4 * 1024 * 1024;
/** How often to check: at 400 MiB/s, 2 MiB arrive between checks. */
const INTERVAL_MS = 5;

export interface MemoryRelief {
  stop(): void;
}

export interface MemoryReliefOptions {
  thresholdBytes?: number;
  intervalMs?: number;
  /** Bytes held by ArrayBuffers now; default process.memoryUsage().arrayBuffers. */
  measure?: () => number;
  /** Frees what is unreachable; default a young-generation collection (youngCollector). */
  collect?: () => void;
}

/**
 * V8's young-generation collection as a function, without `--expose-gc` on the command line: the
 * flag is set only while a fresh context is created, whose `gc` global is then this isolate's.
 */
export function youngCollector(): () => void {
  setFlagsFromString("--expose-gc");
  let gc: (options: { type: "minor" }) => void;
  try {
    gc = runInNewContext("gc") as typeof gc;
  } finally {
    setFlagsFromString("--no-expose-gc");
  }
  // Node 20's V8 reads any argument as "young generation" (its old `gc(true)`); newer ones read
  // the option. Either way this is the collection that was measured and chosen.
  return () => gc({ type: "minor" });
}

/** Whether one check collects: only when dead buffers may have piled up. */
export function shouldCollect(arrayBufferBytes: number, thresholdBytes: number): boolean {
  return arrayBufferBytes >= thresholdBytes;
}

/**
 * Checks array-buffer memory every `intervalMs` until stopped, collecting when it passes the
 * threshold. The timer does not keep the process alive.
 */
export function startMemoryRelief(options: MemoryReliefOptions = {}): MemoryRelief {
  const threshold = options.thresholdBytes ?? THRESHOLD_BYTES;
  const measure = options.measure ?? (() => process.memoryUsage().arrayBuffers);
  // The collector's context costs ~2 ms to make; a small copy never reaches the threshold.
  let collect = options.collect;
  const timer = setInterval(() => {
    if (shouldCollect(measure(), threshold)) (collect ??= youngCollector())();
  }, options.intervalMs ?? INTERVAL_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
