// `ocicompat mirror`: parse the flags and the config file, start the mirror (ops/mirror), write
// its decision log as JSON lines on stdout, re-discover the node on SIGHUP, stop on SIGTERM/SIGINT.
import { Command, Option } from "commander";
import { openCache } from "../../content/cache.js";
import { loadCatalog } from "../../ops/load-catalog.js";
import { loadMirrorConfig, parseListen, type MirrorFileConfig } from "../../ops/mirror/config.js";
import { mirrorNodeLoader } from "../../ops/mirror/node.js";
import { DEFAULT_MIRROR_HOST, DEFAULT_MIRROR_PORT, startMirror } from "../../ops/mirror/server.js";
import { OcicompatError, errorMessage } from "../../oci/errors.js";
import { parseDuration } from "../deadline.js";
import { addTlsVerifyOptions } from "../registry-options.js";
import type { ExitCode } from "../exit-codes.js";
import {
  CACHE_ENV,
  type CommandHelp,
  DISCOVERY_ENV,
  EXIT_ERROR,
  LABEL_PACK_ENV,
  REGISTRY_ENV,
  withHelp,
} from "../help.js";

/** The file's settings as flags: `--upstream` repeats, and commander checks the policy's choices. */
interface MirrorFlags extends Omit<MirrorFileConfig, "upstreams" | "onIncompatible" | "labels"> {
  upstream: string[];
  config?: string;
  onIncompatible?: string;
  labels: string[];
}

function repeatable(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Flags over the file over the defaults. */
function merged(flags: MirrorFlags, file: MirrorFileConfig): MirrorFileConfig {
  const pick = <T>(flag: T | undefined, fromFile: T | undefined): T | undefined =>
    flag !== undefined ? flag : fromFile;
  const policy = pick(flags.onIncompatible, file.onIncompatible);
  if (policy !== undefined && policy !== "passthrough" && policy !== "fail") {
    throw new OcicompatError(
      "USAGE",
      `--on-incompatible ${JSON.stringify(policy)}: use passthrough or fail`,
    );
  }
  const result: MirrorFileConfig = {
    upstreams: flags.upstream.length > 0 ? flags.upstream : (file.upstreams ?? []),
    labels: [...(file.labels ?? []), ...flags.labels],
  };
  const set = <K extends keyof MirrorFileConfig>(
    key: K,
    value: MirrorFileConfig[K] | undefined,
  ) => {
    if (value !== undefined) result[key] = value;
  };
  set("listen", pick(flags.listen, file.listen));
  set("node", pick(flags.node, file.node));
  set("platform", pick(flags.platform, file.platform));
  set("onIncompatible", policy);
  set("timeout", pick(flags.timeout, file.timeout));
  set("verdictTtl", pick(flags.verdictTtl, file.verdictTtl));
  // --no-cache is commander's `cache: false`; it is true (the default) when not given.
  set("cache", flags.cache === false ? false : (file.cache ?? true));
  set("cacheBlobs", pick(flags.cacheBlobs, file.cacheBlobs));
  set("plainHttp", pick(flags.plainHttp, file.plainHttp));
  set("insecure", pick(flags.insecure, file.insecure));
  set("tlsVerify", pick(flags.tlsVerify, file.tlsVerify));
  set("caFile", pick(flags.caFile, file.caFile));
  set("registriesConf", pick(flags.registriesConf, file.registriesConf));
  return result;
}

function writeLine(entry: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(entry)}\n`);
}

const MIRROR_HELP: CommandHelp = {
  examples: [
    {
      command: "ocicompat mirror --upstream registry.example",
      explains: "serve a node-local mirror on 127.0.0.1:5090 for registry.example",
    },
    {
      command: "ocicompat mirror --config mirror.yaml --node node.json --on-incompatible fail",
      explains: "from a configuration file, for a saved node; no fallback to the index",
    },
  ],
  exit: {
    0: "stopped by SIGTERM or SIGINT",
    2: `${EXIT_ERROR}; also a bad configuration, or when it cannot listen`,
  },
  env: [...REGISTRY_ENV, ...CACHE_ENV, ...LABEL_PACK_ENV, ...DISCOVERY_ENV],
};

export function mirrorCommand(run: (code: ExitCode) => void): Command {
  const command = withHelp(new Command("mirror"), MIRROR_HELP)
    .description(
      "serve a node-local, read-only registry mirror that answers a tag with the index entry that fits this node",
    )
    .addOption(
      new Option(
        "--listen <addr:port>",
        `address to listen on (default ${DEFAULT_MIRROR_HOST}:${DEFAULT_MIRROR_PORT})`,
      ),
    )
    .addOption(
      new Option(
        "--upstream <host[:port]>",
        "an upstream registry it may serve (repeatable; the first is the default)",
      )
        .argParser(repeatable)
        .default([]),
    )
    .addOption(
      new Option("--config <file>", "a YAML or JSON configuration file (flags override it)"),
    )
    .addOption(
      new Option("--node <profile>", "a saved node profile instead of discovering this host"),
    )
    .addOption(
      new Option("--platform <os/arch[/variant]>", "select as if the node had this platform"),
    )
    .addOption(
      new Option(
        "--on-incompatible <policy>",
        "when no entry fits: passthrough (serve the index) or fail",
      ).choices(["passthrough", "fail"]),
    )
    .addOption(
      new Option("--timeout <duration>", "per request, until the answer starts (default 30s)"),
    )
    .addOption(
      new Option(
        "--verdict-ttl <duration>",
        "reuse a selection for the same index this long (default 60s; 0: never)",
      ),
    )
    .addOption(
      new Option("--no-cache", "do not use the on-disk cache for manifests and compatibilities"),
    )
    .addOption(
      new Option(
        "--cache-blobs",
        "also keep small blobs (up to the cache's entry size) in the cache",
      ),
    )
    .addOption(
      new Option(
        "--plain-http",
        "use HTTP for non-loopback upstreams too (loopback ones use HTTP anyway)",
      ),
    )
    .addOption(new Option("--no-plain-http", "use HTTPS, even for loopback upstreams"))
    .addOption(new Option("--insecure", "do not verify upstream TLS certificates"));
  return addTlsVerifyOptions(command, "tls-verify", "each upstream registry's")
    .addOption(new Option("--ca-file <pem>", "also trust the CA certificates in this PEM file"))
    .addOption(
      new Option(
        "--registries-conf <file>",
        "follow this registries.conf's credential-helpers for upstream credentials, and nothing else of it (default: $CONTAINERS_REGISTRIES_CONF, else podman's files)",
      ),
    )
    .addOption(
      new Option(
        "--no-registries-conf",
        "read no registries.conf: upstream credentials from the auth files alone",
      ),
    )
    .addOption(
      new Option("--labels <file>", "a label pack declaring community labels (repeatable)")
        .argParser(repeatable)
        .default([]),
    )
    .action(async (flags: MirrorFlags) => {
      const file = flags.config === undefined ? {} : await loadMirrorConfig(flags.config);
      const config = merged(flags, file);
      const listen = parseListen(config.listen ?? `${DEFAULT_MIRROR_HOST}:${DEFAULT_MIRROR_PORT}`);
      const catalog = await loadCatalog(config.labels ?? []);
      const timeout = config.timeout === undefined ? undefined : parseDuration(config.timeout);
      const ttl = config.verdictTtl === undefined ? undefined : parseDuration(config.verdictTtl);
      const cache =
        config.cache === false
          ? undefined
          : openCache({
              onWarning: (w) =>
                writeLine({
                  time: new Date().toISOString(),
                  level: "warn",
                  event: "cache",
                  message: w.message,
                }),
            });
      const mirror = await startMirror({
        host: listen.host,
        port: listen.port,
        upstreams: config.upstreams ?? [],
        catalog,
        loadNode: mirrorNodeLoader({
          catalog,
          ...(config.node === undefined ? {} : { nodeFile: config.node }),
        }),
        ...(config.platform === undefined ? {} : { platform: config.platform }),
        ...(config.onIncompatible === undefined ? {} : { onIncompatible: config.onIncompatible }),
        ...(timeout === undefined || timeout === 0 ? {} : { requestTimeoutMs: timeout }),
        ...(ttl === undefined ? {} : { verdictTtlMs: ttl }),
        ...(cache === undefined ? {} : { cache }),
        ...(config.cacheBlobs ? { cacheBlobs: true } : {}),
        access: {
          ...(config.plainHttp === undefined ? {} : { plainHttp: config.plainHttp }),
          ...(config.insecure ? { insecure: true } : {}),
          ...(config.tlsVerify === undefined ? {} : { tlsVerify: config.tlsVerify }),
          ...(config.caFile === undefined ? {} : { caFile: config.caFile }),
          ...(config.registriesConf === undefined ? {} : { registriesConf: config.registriesConf }),
        },
        log: writeLine,
      });
      const started = {
        time: new Date().toISOString(),
        level: "info",
        event: "listening",
        url: mirror.url,
        upstreams: config.upstreams,
        node: mirror.node().name,
        platform: mirror.node().platform,
      };
      writeLine(started);
      const reload = (): void => {
        mirror.reloadNode().then(
          (profile) =>
            writeLine({
              time: new Date().toISOString(),
              level: "info",
              event: "node-reloaded",
              node: profile.name,
              platform: profile.platform,
            }),
          (err: unknown) =>
            // The old node stays in use: a broken profile edit must not stop the node's pulls.
            writeLine({
              time: new Date().toISOString(),
              level: "error",
              event: "node-reload-failed",
              message: errorMessage(err),
            }),
        );
      };
      process.on("SIGHUP", reload);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off("SIGTERM", stop);
          process.off("SIGINT", stop);
          process.off("SIGHUP", reload);
          void mirror.close().finally(resolve);
        };
        process.on("SIGTERM", stop);
        process.on("SIGINT", stop);
      });
      run(0);
    });
}
