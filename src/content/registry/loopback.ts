// Which hosts are this machine: `localhost`, names under `.localhost` (RFC 6761), 127.0.0.0/8 and
// ::1 in any spelling, IPv4-mapped ones (`::ffff:127.0.0.1`) included. One rule for the two
// places that ask: a loopback registry defaults to plain HTTP (http.ts), and is never proxied
// (proxy-env.ts). Names are not resolved: only what is written counts.
import { BlockList, isIP } from "node:net";

/** Made for the rare IPv6 spellings only: a short command need not build it. */
let loopbackV6: BlockList | undefined;

/** `host` without port or brackets, in any case. */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase();
  if (name === "localhost" || name.endsWith(".localhost")) return true;
  const family = isIP(name);
  if (family === 0) return false;
  // isIP accepts only the four-part dotted form, so the first part is the first octet.
  if (family === 4) return name.startsWith("127.");
  if (name === "::1") return true;
  if (loopbackV6 === undefined) {
    loopbackV6 = new BlockList();
    loopbackV6.addAddress("::1", "ipv6");
    loopbackV6.addSubnet("::ffff:127.0.0.0", 104, "ipv6");
  }
  return loopbackV6.check(name, "ipv6");
}
