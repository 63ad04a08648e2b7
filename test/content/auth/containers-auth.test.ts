// The containers auth files (podman, CRI-O) as a credential source: REGISTRY_AUTH_FILE first,
// then $XDG_RUNTIME_DIR/containers/auth.json, then ~/.config/containers/auth.json, and docker's
// config.json after all of them.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import {
  containersAuthCredentials,
  containersAuthPaths,
  nodeCredentials,
} from "../../../src/content/auth/index.js";
import { tempDir } from "../layout-support.js";

function authFile(path: string, registry: string, user: string): void {
  mkdirSync(join(path, ".."), { recursive: true });
  const auth = Buffer.from(`${user}:secret`).toString("base64");
  writeFileSync(path, JSON.stringify({ auths: { [registry]: { auth } } }));
}

test("REGISTRY_AUTH_FILE wins over the runtime directory's auth.json, which wins over ~/.config", () => {
  const env = { REGISTRY_AUTH_FILE: "/a/auth.json", XDG_RUNTIME_DIR: "/run/user/0", HOME: "/root" };
  assert.deepEqual(containersAuthPaths(env), [
    "/a/auth.json",
    "/run/user/0/containers/auth.json",
    "/root/.config/containers/auth.json",
  ]);
});

test("the first containers auth file that exists gives the credentials; docker's config comes after it", async () => {
  const dir = tempDir("ocicompat-containers-auth-");
  try {
    const runtime = join(dir.path, "run");
    const home = join(dir.path, "home");
    authFile(join(runtime, "containers", "auth.json"), "registry.example", "from-runtime-dir");
    mkdirSync(join(home, ".docker"), { recursive: true });
    writeFileSync(
      join(home, ".docker", "config.json"),
      JSON.stringify({
        auths: {
          "registry.example": { auth: Buffer.from("from-docker:s").toString("base64") },
          "docker-only.example": { auth: Buffer.from("docker-user:s").toString("base64") },
        },
      }),
    );
    const env = { XDG_RUNTIME_DIR: runtime, HOME: home };
    const containers = containersAuthCredentials({ env });
    assert.deepEqual(await containers("registry.example"), {
      kind: "basic",
      username: "from-runtime-dir",
      password: "secret",
    });
    const node = nodeCredentials({ env });
    const both = await node("registry.example");
    assert.equal(both?.kind === "basic" && both.username, "from-runtime-dir");
    const dockerOnly = await node("docker-only.example");
    assert.equal(dockerOnly?.kind === "basic" && dockerOnly.username, "docker-user");
    assert.equal(await node("nobody.example"), undefined);
  } finally {
    dir.remove();
  }
});
