// Which proxy a request goes through: HTTPS_PROXY, HTTP_PROXY and NO_PROXY read as Go's net/http
// reads them (golang.org/x/net/http/httpproxy), the rules skopeo, podman, containerd and Docker
// follow, so one environment sends every container tool the same way.
//
// * HTTPS_PROXY serves https:// requests, HTTP_PROXY http:// ones; the upper-case name wins over
//   the lower-case one when both are set and not empty.
// * A value is a URL (`http://[user:password@]host[:port]`, or `https://` for a proxy spoken to
//   over TLS) or a bare `host[:port]`, taken as `http://`. Go drops a value it cannot use and goes
//   direct; here it is an error naming the variable, since going direct may be exactly what the
//   site's network forbids. SOCKS proxies are refused the same way (not supported).
// * Loopback hosts are never proxied: `localhost`, 127.0.0.0/8, ::1, and (beyond Go, as the rest
//   of ocicompat treats them, RFC 6761) names under `.localhost`.
// * NO_PROXY is a comma-separated list: `*` (nothing is proxied); an IP address or CIDR range; a
//   domain, which matches itself and its subdomains, or with a leading `.` or `*.` its
//   subdomains only. IP addresses and domains may carry a `:port`, and then match that port only.
//   Matching ignores case; entries that parse as nothing are ignored, as in Go.
// * With REQUEST_METHOD set (a CGI handler), HTTP_PROXY may have come from a client's `Proxy:`
//   header ("httpoxy"), so a request it would serve is refused, as Go does.
// Pure: the environment comes in as a value.
import { BlockList, isIP } from "node:net";
import { domainToASCII } from "node:url";
import { OcicompatError } from "../../oci/errors.js";
import { isLoopbackHost } from "./loopback.js";

/** The proxy variables as read from an environment (see `proxyEnvironment`). */
export interface ProxyEnvironment {
  httpsProxy?: string;
  httpProxy?: string;
  noProxy?: string;
  /** REQUEST_METHOD is set: the process is a CGI handler. */
  cgi?: boolean;
}

/** One proxy: where to connect, and what to tell it. */
export interface Proxy {
  /** `http://host:port` or `https://host:port`, without credentials. */
  origin: string;
  /** The variable that named it (`HTTPS_PROXY`), for messages. */
  variable: string;
  /** The `Proxy-Authorization` value, from the URL's user information. */
  authorization?: string;
}

interface AddressRule {
  addresses: BlockList;
  /** Empty: any port. */
  port: string;
}

interface DomainRule {
  /** With a leading dot: matched as a suffix. */
  suffix: string;
  /** The domain itself matches too (the entry had no leading `.` or `*.`). */
  matchesItself: boolean;
  port: string;
}

export interface ProxySettings {
  https?: Proxy;
  http?: Proxy;
  cgi: boolean;
  /** NO_PROXY is `*`. */
  bypassAll: boolean;
  addressRules: AddressRule[];
  domainRules: DomainRule[];
}

/** The proxy variables of `env`, upper case first, empty values ignored. */
export function proxyEnvironment(env: NodeJS.ProcessEnv): ProxyEnvironment {
  const first = (...names: string[]): string | undefined =>
    names.map((n) => env[n]).find((v) => v !== undefined && v !== "");
  const out: ProxyEnvironment = {};
  const https = first("HTTPS_PROXY", "https_proxy");
  const http = first("HTTP_PROXY", "http_proxy");
  const noProxy = first("NO_PROXY", "no_proxy");
  if (https !== undefined) out.httpsProxy = https;
  if (http !== undefined) out.httpProxy = http;
  if (noProxy !== undefined) out.noProxy = noProxy;
  if (first("REQUEST_METHOD") !== undefined) out.cgi = true;
  return out;
}

/** The parsed settings, or undefined when no proxy is set (every request goes direct). */
export function proxySettings(source: ProxyEnvironment): ProxySettings | undefined {
  if (source.httpsProxy === undefined && source.httpProxy === undefined) return undefined;
  const settings: ProxySettings = {
    cgi: source.cgi === true,
    bypassAll: false,
    addressRules: [],
    domainRules: [],
  };
  if (source.httpsProxy !== undefined) {
    settings.https = parseProxy(source.httpsProxy, "HTTPS_PROXY");
  }
  if (source.httpProxy !== undefined) settings.http = parseProxy(source.httpProxy, "HTTP_PROXY");
  for (const raw of (source.noProxy ?? "").split(",")) addNoProxyEntry(settings, raw);
  return settings;
}

/** The proxy for a request to `url`, or undefined to connect directly. */
export function proxyFor(settings: ProxySettings, url: URL): Proxy | undefined {
  const proxy =
    url.protocol === "https:"
      ? settings.https
      : url.protocol === "http:"
        ? settings.http
        : undefined;
  if (proxy === undefined || !useProxy(settings, url)) return undefined;
  if (url.protocol === "http:" && settings.cgi) {
    throw new OcicompatError(
      "USAGE",
      `refusing HTTP_PROXY for ${url.host}: REQUEST_METHOD is set, so this runs as a CGI handler, where HTTP_PROXY may come from a client's Proxy header`,
      { subject: "HTTP_PROXY" },
    );
  }
  return proxy;
}

function parseProxy(value: string, variable: string): Proxy {
  const bad = (why: string): OcicompatError =>
    new OcicompatError("USAGE", `${JSON.stringify(redactUserInfo(value))} ${why}`, {
      subject: variable,
    });
  // A bare `host:port` (or IP address) is taken as http://, as Go does.
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme !== "http" && scheme !== "https") {
    throw bad(`is a ${scheme} proxy, which ocicompat does not support; use an HTTP or HTTPS proxy`);
  }
  const url = parseUrl(scheme === undefined ? `http://${value}` : value);
  if (url === undefined || url.hostname === "") {
    throw bad("is not a proxy address; expected http://[user:password@]host[:port]");
  }
  const proxy: Proxy = { origin: url.origin, variable };
  if (url.username !== "" || url.password !== "") {
    const user = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    proxy.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
  }
  return proxy;
}

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/**
 * The value with everything between its scheme and its last `@` masked, for messages: a password
 * with an unencoded `/` or `@` would otherwise show in part.
 */
function redactUserInfo(value: string): string {
  const at = value.lastIndexOf("@");
  if (at < 0) return value;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(value)?.[0] ?? "";
  return `${scheme}***${value.slice(at)}`;
}

function addNoProxyEntry(settings: ProxySettings, raw: string): void {
  const entry = raw.trim().toLowerCase();
  if (entry === "") return;
  if (entry === "*") {
    settings.bypassAll = true;
    return;
  }
  const cidr = parseCidr(entry);
  if (cidr !== undefined) {
    settings.addressRules.push({ addresses: cidr, port: "" });
    return;
  }
  const split = splitHostPort(entry);
  const host = split?.host ?? entry;
  const port = split?.port ?? "";
  if (host === "") return;
  const family = isIP(host);
  if (family !== 0) {
    const addresses = new BlockList();
    addresses.addAddress(host, family === 4 ? "ipv4" : "ipv6");
    settings.addressRules.push({ addresses, port });
    return;
  }
  let suffix = host.startsWith("*.") ? host.slice(1) : host;
  const matchesItself = !suffix.startsWith(".");
  if (matchesItself) suffix = `.${suffix}`;
  settings.domainRules.push({ suffix: asciiDomain(suffix), matchesItself, port });
}

/** `10.0.0.0/8` or `2001:db8::/32` as a block list; undefined when the entry is not one. */
function parseCidr(entry: string): BlockList | undefined {
  const slash = entry.indexOf("/");
  if (slash < 0) return undefined;
  const address = entry.slice(0, slash);
  const bits = entry.slice(slash + 1);
  const family = isIP(address);
  if (family === 0 || !/^\d{1,3}$/.test(bits) || Number(bits) > (family === 4 ? 32 : 128)) {
    return undefined;
  }
  const list = new BlockList();
  list.addSubnet(address, Number(bits), family === 4 ? "ipv4" : "ipv6");
  return list;
}

/** `host:port` or `[v6]:port`; undefined when there is no port (as Go's SplitHostPort fails). */
function splitHostPort(entry: string): { host: string; port: string } | undefined {
  if (entry.startsWith("[")) {
    const close = entry.indexOf("]");
    if (close < 0) return undefined;
    const rest = entry.slice(close + 1);
    if (rest === "") return { host: entry.slice(1, close), port: "" };
    return rest.startsWith(":") ? { host: entry.slice(1, close), port: rest.slice(1) } : undefined;
  }
  const colon = entry.indexOf(":");
  if (colon < 0 || colon !== entry.lastIndexOf(":")) return undefined;
  return { host: entry.slice(0, colon), port: entry.slice(colon + 1) };
}

function asciiDomain(domain: string): string {
  // domainToASCII refuses a leading dot; the rest is what a URL's hostname would be.
  const ascii = domainToASCII(domain.slice(1));
  return ascii === "" ? domain : `.${ascii}`;
}

const DEFAULT_PORTS: Record<string, string> = { "http:": "80", "https:": "443" };

function useProxy(settings: ProxySettings, url: URL): boolean {
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  if (isLoopbackHost(host)) return false;
  if (settings.bypassAll) return false;
  const port = url.port !== "" ? url.port : (DEFAULT_PORTS[url.protocol] ?? "");
  const family = isIP(host);
  if (family !== 0) {
    const type = family === 4 ? "ipv4" : "ipv6";
    for (const rule of settings.addressRules) {
      if (rule.addresses.check(host, type) && (rule.port === "" || rule.port === port))
        return false;
    }
  }
  for (const rule of settings.domainRules) {
    const matches =
      host.endsWith(rule.suffix) || (rule.matchesItself && host === rule.suffix.slice(1));
    if (matches && (rule.port === "" || rule.port === port)) return false;
  }
  return true;
}
