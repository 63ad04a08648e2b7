// `ocicompat webhook`: parsing only; the server is ops/webhook.
import { Command, Option } from "commander";
import { OcicompatError } from "../../oci/errors.js";
import { loadCatalog } from "../../ops/load-catalog.js";
import {
  createMetrics,
  ImageCache,
  parseListen,
  startWebhookServer,
} from "../../ops/webhook/index.js";
import { parseDuration } from "../deadline.js";
import { ExitCode } from "../exit-codes.js";
import { labelsOption } from "../output.js";
import { addRegistryOptions, openerFrom, type RegistryFlags } from "../registry-options.js";
import { hasCommandLineCredentials } from "../credential-flags.js";
import { type CommandHelp, EXIT_ERROR, LABEL_PACK_ENV, REGISTRY_ENV, withHelp } from "../help.js";

interface WebhookFlags extends RegistryFlags {
  listen: string;
  tlsCert?: string;
  tlsKey?: string;
  onError: "allow" | "deny";
  allowRegistry: string[];
  tagTtl: string;
  labels: string[];
}

const WEBHOOK_HELP: CommandHelp = {
  examples: [
    {
      command:
        "ocicompat webhook --tls-cert tls.crt --tls-key tls.key --allow-registry registry.example",
      explains: "serve the admission webhook on 0.0.0.0:8443",
    },
    {
      command:
        "ocicompat webhook --tls-cert tls.crt --tls-key tls.key --allow-registry '*' --on-error deny",
      explains: "any registry; refuse pods whose images cannot be checked",
    },
  ],
  exit: { 0: "stopped by SIGTERM or SIGINT", 2: `${EXIT_ERROR}; also when it cannot listen` },
  env: [...REGISTRY_ENV, ...LABEL_PACK_ENV],
};

export function webhookCommand(run: (code: ExitCode) => void): Command {
  const command = withHelp(new Command("webhook"), WEBHOOK_HELP)
    .description(
      "serve a Kubernetes mutating admission webhook that adds ocicompat's nodeAffinity to pods",
    )
    .addOption(new Option("--listen <addr:port>", "HTTPS address").default("0.0.0.0:8443"))
    .addOption(new Option("--tls-cert <file>", "PEM certificate (reloaded when it changes)"))
    .addOption(new Option("--tls-key <file>", "PEM private key (reloaded when it changes)"))
    .addOption(
      new Option(
        "--on-error <policy>",
        "when images cannot be checked: allow (with a warning) or deny",
      )
        .choices(["allow", "deny"])
        .default("allow"),
    )
    .addOption(
      new Option(
        "--allow-registry <host>",
        "a registry the webhook may contact (repeatable; * for any)",
      )
        .argParser((v: string, prev: string[]) => [...prev, v])
        .default([]),
    )
    .addOption(
      new Option("--tag-ttl <duration>", "how long a tag's digest is cached").default("60s"),
    )
    .addOption(labelsOption());
  // --timeout is the per-review deadline here.
  return addRegistryOptions(command, "5s", { http2: true }).action(async (flags: WebhookFlags) => {
    if (flags.tlsCert === undefined || flags.tlsKey === undefined) {
      throw new OcicompatError(
        "USAGE",
        "--tls-cert and --tls-key are required (the API server calls webhooks over HTTPS)",
      );
    }
    if (flags.allowRegistry.length === 0) {
      throw new OcicompatError(
        "USAGE",
        "name the registries the webhook may contact with --allow-registry HOST (or --allow-registry '*'): pod specs are user input",
      );
    }
    // Explicit credentials go to one registry only (content/open.ts); a server that would refuse
    // its second registry mid-review is refused now instead.
    const oneRegistry = flags.allowRegistry.length === 1 && flags.allowRegistry[0] !== "*";
    if (hasCommandLineCredentials(flags) && !oneRegistry) {
      throw new OcicompatError(
        "USAGE",
        "--creds, --username and --registry-token are for one registry, and the webhook may contact several (--allow-registry): keep each registry's credentials in an auth file (--authfile)",
      );
    }
    const { host, port } = parseListen(flags.listen);
    const deadlineMs = parseDuration(flags.timeout ?? "5s") || 5000;
    const catalog = await loadCatalog(flags.labels);
    const opener = await openerFrom(flags);
    const metrics = createMetrics();
    const images = new ImageCache({
      opener,
      catalog,
      allowRegistries: flags.allowRegistry,
      tagTtlMs: parseDuration(flags.tagTtl),
      readTimeoutMs: deadlineMs,
      onRead: (kind) => metrics.registryReads.inc({ kind }),
    });
    const server = await startWebhookServer({
      host,
      port,
      certFile: flags.tlsCert,
      keyFile: flags.tlsKey,
      images,
      onError: flags.onError,
      deadlineMs,
      metrics,
    });
    await new Promise<void>((resolve) => {
      process.once("SIGTERM", resolve);
      process.once("SIGINT", resolve);
    });
    await server.close();
    await opener.close();
    run(ExitCode.Ok);
  });
}
