// What a failed copy says: which side failed (the source could not give the content, or the
// destination would not take it) and for which descriptor, as oras-go's CopyError does. The code
// is the cause's, so exit codes and retry decisions do not change because a copy was involved.
import {
  isOcicompatError,
  OcicompatError,
  type ErrorCode,
  errorMessage,
} from "../../oci/errors.js";
import type { ContentDescriptor } from "../store.js";

export type CopySide = "source" | "destination";

export class CopyError extends OcicompatError {
  readonly side: CopySide;
  /** The descriptor being read or written when it failed. */
  readonly descriptor: ContentDescriptor;
  /** The store's name: `registry.example/app`, `oci:./dir`. */
  readonly store: string;

  constructor(side: CopySide, store: string, descriptor: ContentDescriptor, cause: unknown) {
    const code: ErrorCode = isOcicompatError(cause) ? cause.code : "INTERNAL";
    const why = errorMessage(cause);
    super(code, `${side} ${store}: ${why}`, {
      subject: (isOcicompatError(cause) ? cause.subject : undefined) ?? descriptor.digest,
      cause,
    });
    this.name = "CopyError";
    this.side = side;
    this.descriptor = descriptor;
    this.store = store;
  }
}

export function isCopyError(err: unknown): err is CopyError {
  return err instanceof CopyError;
}
