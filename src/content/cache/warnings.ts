// What went wrong in the on-disk cache. A broken cache must not break a check, so its failures
// become warnings instead: the most recent 100 kept, each I/O failure once, passed to `onWarning`.
import { errorMessage } from "../../oci/errors.js";
const MAX_DIAGNOSTICS = 100;

export interface CacheWarning {
  /** `io`: the file system refused something; `corrupt`: an entry failed verification. */
  kind: "io" | "corrupt";
  operation: "get" | "has" | "put" | "touch" | "remove" | "prune" | "stats";
  message: string;
  path?: string;
  digest?: string;
  /** The errno code (`EACCES`, `ENOSPC`, ...) of an `io` warning. */
  code?: string;
}

export function errnoOf(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}

/** The warnings of one cache object. */
export class CacheWarnings {
  readonly #onWarning: ((warning: CacheWarning) => void) | undefined;
  readonly #diagnostics: CacheWarning[] = [];
  /** `operation:code` of I/O warnings already recorded: a broken directory warns once, not per call. */
  readonly #reported = new Set<string>();

  constructor(onWarning: ((warning: CacheWarning) => void) | undefined) {
    this.#onWarning = onWarning;
  }

  diagnostics(): readonly CacheWarning[] {
    return [...this.#diagnostics];
  }

  ioWarning(
    operation: CacheWarning["operation"],
    err: unknown,
    path: string,
    digest?: string,
    suffix = "",
  ): void {
    const code = errnoOf(err) ?? "UNKNOWN";
    const key = `${operation}:${code}`;
    if (this.#reported.has(key)) return;
    this.#reported.add(key);
    const reason = errorMessage(err);
    const warning: CacheWarning = {
      kind: "io",
      operation,
      message: `cache ${operation} failed, continuing without it: ${reason}${suffix}`,
      path,
      code,
    };
    if (digest !== undefined) warning.digest = digest;
    this.warn(warning);
  }

  warn(warning: CacheWarning): void {
    this.#diagnostics.push(warning);
    if (this.#diagnostics.length > MAX_DIAGNOSTICS) this.#diagnostics.shift();
    try {
      this.#onWarning?.(warning);
    } catch {
      // A faulty callback must not turn a cache problem into a failed check.
    }
  }
}
