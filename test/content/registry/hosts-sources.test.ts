// Sources from a parsed containerd host directory (hosts-sources.ts), without a network: Docker
// Hub's documented hosts.toml, whose server is the registry's own API host, keeps the registry's
// name (its credentials are stored under it) and gets no ?ns=, while a mirror gets both its own
// name and ?ns=.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseHostsToml } from "../../../src/content/registry/hosts-toml.js";
import { hostDirSources } from "../../../src/content/registry/hosts-sources.js";

const DIR = "/etc/containerd/certs.d/docker.io";

test("Docker Hub's server is the registry under its own name, a mirror is itself with ?ns=", () => {
  const hosts = parseHostsToml(
    `server = "https://registry-1.docker.io"
[host."https://mirror.example"]
  capabilities = ["pull", "resolve"]
`,
    `${DIR}/hosts.toml`,
    DIR,
  );
  const sources = hostDirSources(
    { dir: DIR, hosts },
    { registry: "docker.io", repository: "library/alpine" },
    { pull: true },
  );
  assert.deepEqual(
    sources.map((s) => [s.registry, s.mirror, s.connection?.query]),
    [
      ["mirror.example", true, { ns: "docker.io" }],
      ["docker.io", false, undefined],
    ],
  );
});
