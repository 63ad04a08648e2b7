// Container runtime handlers from the names of installed programs.
import { ownValue } from "../../compat/own-record.js";

const OCI_RUNTIMES: Readonly<Record<string, string>> = {
  runc: "runc",
  crun: "crun",
  runsc: "runsc",
  youki: "youki",
  "kata-runtime": "kata",
  "nvidia-container-runtime": "nvidia",
};

/**
 * The handler a program provides: an OCI runtime by its name, or `<name>` for a containerd shim
 * `containerd-shim-<name>-v1|v2` (containerd's own naming rule for runtime types).
 */
export function runtimeHandlerOf(fileName: string): string | undefined {
  const known = ownValue(OCI_RUNTIMES, fileName);
  if (known !== undefined) return known;
  const shim = /^containerd-shim-([a-z0-9][a-z0-9-]*?)-v[12]$/.exec(fileName);
  return shim?.[1];
}
