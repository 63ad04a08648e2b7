// Where the signature policy is read from, as containers/image finds it: the file named
// (`--policy`), else `$HOME/.config/containers/policy.json` when it exists, else
// `/etc/containers/policy.json`. Where neither exists, skopeo refuses to copy; ocicompat copies
// as it always has (a machine without containers' configuration has no policy to honour).
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { errorMessage, OcicompatError } from "../../oci/errors.js";
import type { Reference } from "../../oci/reference.js";
import {
  enforceSignaturePolicy,
  parseSignaturePolicy,
  type SignaturePolicy,
} from "./signature-policy.js";

export const SYSTEM_POLICY_FILE = "/etc/containers/policy.json";

/** The policy file that applies: `named`, else the user's, else the system's, else none. */
export function policyFilePath(
  named: string | undefined,
  home: string = homedir(),
  system: string = SYSTEM_POLICY_FILE,
): string | undefined {
  if (named !== undefined) return named;
  const user = join(home, ".config", "containers", "policy.json");
  if (existsSync(user)) return user;
  return existsSync(system) ? system : undefined;
}

/** Reads and parses the policy `setting` names (false: none); undefined when there is none. */
export function loadSignaturePolicy(
  setting: string | false | undefined,
): SignaturePolicy | undefined {
  if (setting === false) return undefined;
  if (setting === "") throw new OcicompatError("USAGE", "--policy needs a file name");
  const file = policyFilePath(setting);
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new OcicompatError("IO", `cannot read the signature policy: ${errorMessage(err)}`, {
      subject: file,
      cause: err,
    });
  }
  return parseSignaturePolicy(text, file);
}

/** A layout's or archive's path as containers/image names it in a policy: absolute, links resolved. */
function resolvedPathOf(ref: Reference): string | undefined {
  if (ref.scheme === "registry") return undefined;
  const absolute = resolve(ref.path);
  try {
    return realpathSync(absolute);
  } catch {
    return absolute;
  }
}

/**
 * Refuses `ref` as a copy's source unless the signature policy (`setting`: a file, false for
 * none, undefined for containers' default places) accepts it without signatures.
 */
export function enforceSourcePolicy(
  ref: Reference,
  shown: string,
  setting: string | false | undefined,
): void {
  const policy = loadSignaturePolicy(setting);
  if (policy !== undefined) enforceSignaturePolicy(policy, ref, shown, resolvedPathOf(ref));
}
