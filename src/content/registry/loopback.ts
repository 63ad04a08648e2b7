// Which hosts are this machine: `localhost`, names under `.localhost` (RFC 6761), 127.0.0.0/8 and
// ::1 in any spelling, IPv4-mapped ones (`::ffff:127.0.0.1`) included. One rule for the two
// places that ask: a loopback registry defaults to plain HTTP (http.ts), and is never proxied
// (proxy-env.ts). Names are not resolved: only what is written counts.
import { BlockList, isIP } from "node:net";

/** Made at the first address asked about: names never need it. */
let loopback: BlockList | undefined;

/** `host` without port or brackets, in any case. */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase();
  if (name === "localhost" || name.endsWith(".localhost")) return true;
  const family = isIP(name);
  if (family === 0) return false;
  if (loopback === undefined) {
    loopback = new BlockList();
    loopback.addSubnet("127.0.0.0", 8, "ipv4");
    loopback.addAddress("::1", "ipv6");
  }
  return loopback.check(name, family === 4 ? "ipv4" : "ipv6");
}
