// `--listen ADDR:PORT`: an IPv4 address or host, or `[IPv6]`, and a port.
import { OcicompatError } from "../../oci/errors.js";

export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text);
  const port = Number(m?.[3]);
  if (!m || port > 65535) {
    throw new OcicompatError(
      "USAGE",
      `--listen ${JSON.stringify(text)} is not ADDR:PORT (like 0.0.0.0:8443)`,
    );
  }
  return { host: m[1] ?? (m[2] || "0.0.0.0"), port };
}
