// registries.conf's credential-helpers, beside skopeo and podman (Debian's packages) reading the
// same file: a registry with htpasswd (bcrypt) whose password only a fake docker-credential helper
// knows, and an auth file that holds nothing. Where the list names the helper, all three tools
// get in and read the same digest; where it names only the auth files, all three are refused.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { sampleImage, tempDir } from "../content/layout-support.js";
import { knowingHelper, startRegistryWithImage, writeHelper } from "../support/auth-registry.js";
import type { TestRegistry } from "../support/registry.js";
import { runCli } from "./run-cli.js";

const USER = "alice";
const PASSWORD = "correct-horse";
let registry: TestRegistry;
const work = tempDir("ocicompat-cli-helpers-");
const image = sampleImage("helpers");
let env: Record<string, string>;
const podmanDirs: string[] = [];

function write(name: string, text: string): string {
  const file = join(work.path, name);
  writeFileSync(file, text);
  return file;
}

/** A registries.conf listing `helpers`; the loopback registry is `insecure` for Go's tools. */
function conf(name: string, helpers: readonly string[]): string {
  return write(
    name,
    `credential-helpers = ${JSON.stringify(helpers)}
[[registry]]
location = "${registry.host}"
insecure = true
`,
  );
}

function inspectedDigest(stdout: string): string {
  return (JSON.parse(stdout) as { root: { descriptor: { digest: string } } }).root.descriptor
    .digest;
}

function skopeoRaw(file: string, reference: string) {
  return spawnSync(
    "skopeo",
    ["--registries-conf", file, "inspect", "--raw", `docker://${reference}`],
    {
      env: { ...process.env, ...env },
      timeout: 60_000,
    },
  );
}

function podmanPull(file: string, reference: string) {
  // podman refuses a run root over 50 characters: a short directory of its own.
  const dir = mkdtempSync("/tmp/och-");
  podmanDirs.push(dir);
  const policy = write("policy.json", '{"default":[{"type":"insecureAcceptAnything"}]}');
  const global = ["--root", join(dir, "root"), "--runroot", join(dir, "runroot")];
  global.push("--storage-driver", "vfs", "--events-backend", "file");
  const options = { env: { ...process.env, ...env, CONTAINERS_REGISTRIES_CONF: file } };
  const pulled = spawnSync(
    "podman",
    [...global, "pull", "-q", "--arch", "amd64", "--signature-policy", policy, reference],
    { ...options, encoding: "utf8", timeout: 120_000 },
  );
  if (pulled.status !== 0) return { status: pulled.status, digest: "", stderr: pulled.stderr };
  const digest = execFileSync(
    "podman",
    [...global, "image", "inspect", "--format", "{{.Digest}}", reference],
    { ...options, encoding: "utf8" },
  ).trim();
  return { status: 0, digest, stderr: "" };
}

before(async () => {
  registry = await startRegistryWithImage(
    { user: USER, password: PASSWORD },
    { blobs: image.blobs, root: image.index.desc },
    { repository: "team/app", tag: "1" },
  );
  const bin = join(work.path, "bin");
  mkdirSync(bin);
  writeHelper(bin, "fake", knowingHelper(registry.host, { user: USER, password: PASSWORD }));
  env = {
    PATH: `${bin}:${process.env.PATH ?? ""}`,
    // An auth file with nothing in it: only the helper knows the password.
    REGISTRY_AUTH_FILE: write("auth.json", '{"auths":{}}'),
  };
});

after(async () => {
  await registry?.stop();
  work.remove();
  for (const dir of podmanDirs) rmSync(dir, { recursive: true, force: true });
});

describe("credential-helpers in registries.conf, beside skopeo and podman", () => {
  test("with the helper listed, ocicompat, skopeo and podman all read the image, the same digest", () => {
    const file = conf("helper.conf", ["containers-auth.json", "fake"]);
    const reference = `${registry.host}/team/app:1`;
    const ours = runCli(["inspect", reference, "-o", "json"], {
      env: { ...env, CONTAINERS_REGISTRIES_CONF: file },
    });
    assert.equal(ours.status, 0, ours.stderr);
    assert.equal(inspectedDigest(ours.stdout), image.index.desc.digest);
    const raw = skopeoRaw(file, reference);
    assert.equal(raw.status, 0, String(raw.stderr));
    assert.equal(
      `sha256:${createHash("sha256").update(raw.stdout).digest("hex")}`,
      image.index.desc.digest,
    );
    const pulled = podmanPull(file, reference);
    assert.equal(pulled.status, 0, pulled.stderr);
    assert.equal(pulled.digest, image.index.desc.digest);
  });

  test("with only the auth files listed, all three are refused, and ocicompat names where it looked", () => {
    const file = conf("files.conf", ["containers-auth.json"]);
    const reference = `${registry.host}/team/app:1`;
    const ours = runCli(["inspect", reference, "-o", "json"], {
      env: { ...env, CONTAINERS_REGISTRIES_CONF: file },
    });
    assert.equal(ours.status, 2, ours.stdout);
    assert.match(ours.stderr, /authentication required/);
    assert.match(ours.stderr, /auth\.json/);
    const raw = skopeoRaw(file, reference);
    assert.notEqual(raw.status, 0);
    assert.match(String(raw.stderr), /unauthorized|authentication required/i);
    const pulled = podmanPull(file, reference);
    assert.notEqual(pulled.status, 0);
    assert.match(pulled.stderr, /unauthorized|authentication required/i);
  });
});
