// What selection is given: an index's entries as the caller read them (descriptor, platform,
// compatibilities, nested entries). Apart from the selector: the readers (ops/select) fill these.
import type { ValidationIssue } from "../../oci/errors.js";
import type { CompiledSet } from "../compiled-set.js";
import type { NfdSpec } from "../nfd/spec.js";

export interface EntryDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Readonly<Record<string, string>>;
  artifactType?: string;
}

/** An index entry's platform as the image-spec spells it (plus the compat descriptors). */
export interface EntryPlatform {
  os: string;
  architecture: string;
  variant?: string;
  "os.version"?: string;
  "os.features"?: readonly string[];
  features?: readonly string[];
}

/** Proposal I manifest, Proposal J blob, or an NFD image-compatibility artifact (a referrer). */
export type CompatForm = "manifest" | "blob" | "nfd";

/** An entry's compatibilities, as the caller read them. */
export type EntryCompat =
  | { state: "none" }
  | {
      state: "ok";
      form: CompatForm;
      descriptor: EntryDescriptor;
      sets: readonly CompiledSet[];
      /** NFD rules (form "nfd", or NFD-shaped content under J's media type): `sets` is empty. */
      nfd?: NfdSpec;
      /** Validation warnings about the document (unknown labels, redundant sets, ...). */
      warnings?: readonly ValidationIssue[];
    }
  | {
      /** Dangling, corrupt or invalid: the entry is excluded. */
      state: "unreadable";
      form: CompatForm;
      descriptor: EntryDescriptor;
      problem: string;
    };

export interface SelectionEntryInput {
  descriptor: EntryDescriptor;
  platform?: EntryPlatform;
  /** Where the platform came from: the index entry, or (when it had none) the image config. */
  platformFrom?: "index" | "config";
  compat?: EntryCompat;
  /** Why the entry could not be read (a nested index or a config that is missing, malformed). */
  problem?: string;
  /** A nested index's entries, read by the caller. */
  children?: readonly SelectionEntryInput[];
}
