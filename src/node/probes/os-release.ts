// oci.os.id and oci.os.version from os-release(5).
import type { Fact } from "../../compat/label-types.js";
import { parseOsRelease } from "../parse/os-release.js";
import type { Probe } from "../probe.js";

export const osReleaseProbe: Probe = {
  name: "os-release",
  provides: ["oci.os.id", "oci.os.version"],
  async run({ root }) {
    const text =
      (await root.readText("/etc/os-release")) ?? (await root.readText("/usr/lib/os-release"));
    const facts: Record<string, Fact> = {};
    if (text === undefined) return { facts };
    const fields = parseOsRelease(text);
    const id = fields.get("ID");
    const version = fields.get("VERSION_ID");
    if (id) facts["oci.os.id"] = id;
    if (version) facts["oci.os.version"] = version;
    return { facts };
  },
};
