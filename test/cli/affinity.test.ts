// `ocicompat affinity` and `ocicompat webhook` as a user runs them (the built CLI, a real registry).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { NodeAffinity } from "kubernetes-models/v1";
import { parse } from "yaml";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import { compatManifest, indexBlob, pushToRegistry, variantImage } from "../ops/select-support.js";
import { hasStackTrace, runCli } from "./run-cli.js";

const amd64 = { os: "linux", architecture: "amd64" };

async function push(host: string, repo: string, sets: Record<string, unknown>[]): Promise<string> {
  const image = variantImage(repo, amd64);
  const compat = compatManifest(sets, amd64);
  const index = indexBlob([
    { descriptor: image.manifest.desc, platform: { ...amd64, compatibilities: compat.descriptor } },
  ]);
  await pushToRegistry(host, repo, [...image.blobs, ...compat.blobs, index], index.desc, "1");
  return `${host}/${repo}:1`;
}

describe("ocicompat affinity", () => {
  let registry: TestRegistry;
  let exact: string;
  let loose: string;
  let home: string;
  const env = (): Record<string, string> => ({ XDG_CACHE_HOME: home, HOME: home });

  before(async () => {
    registry = await startRegistry();
    home = mkdtempSync(join(tmpdir(), "ocicompat-affinity-"));
    exact = await push(registry.host, "exact", [
      { "oci.cpu.features": "avx512f", "oci.kernel.version": ">=6.1", score: 5 },
      { "oci.cpu.features": "avx2" },
    ]);
    loose = await push(registry.host, "loose", [
      { "oci.cpu.features": "avx2", "oci.os.glibc": ">=2.35" },
    ]);
  });

  after(async () => {
    await registry.stop();
    rmSync(home, { recursive: true, force: true });
  });

  test("prints a nodeAffinity in YAML that validates against the Kubernetes schema", () => {
    const r = runCli(["affinity", exact], { env: env() });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, "");
    const doc = parse(r.stdout) as { nodeAffinity: object };
    new NodeAffinity(doc.nodeAffinity as never).validate();
    assert.match(r.stdout, /feature\.node\.kubernetes\.io\/cpu-cpuid\.AVX512F/);
    assert.match(r.stdout, /preferredDuringSchedulingIgnoredDuringExecution/);
  });

  test("several images intersect: every term of two images' affinity needs both", () => {
    const r = runCli(["affinity", exact, loose, "-o", "json"], { env: env() });
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { nodeAffinity: NodeAffinity };
    new NodeAffinity(doc.nodeAffinity as never).validate();
    const terms =
      doc.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
    assert.ok(terms.length > 0);
    for (const t of terms) {
      assert.ok(
        t.matchExpressions?.some((e) => e.key.endsWith("cpu-cpuid.AVX2")),
        JSON.stringify(t),
      );
    }
  });

  test("a requirement labels cannot say is a warning naming the label, or with --strict exit 1", () => {
    const warn = runCli(["affinity", loose], { env: env() });
    assert.equal(warn.status, 0);
    assert.match(
      warn.stderr,
      /warning: .*loose:1 entry sha256:[0-9a-f]{64} set 0: oci\.os\.glibc: ">=2\.35": node labels say it not at all: NFD publishes no node label for oci\.os\.glibc/,
    );
    const strict = runCli(["affinity", "--strict", loose], { env: env() });
    assert.equal(strict.status, 1);
    assert.match(strict.stderr, /error: .*oci\.os\.glibc/);
    assert.ok(!hasStackTrace(strict.stderr));
  });

  test("webhook refuses to start without an allowlist or a certificate (exit 2, no stack trace)", () => {
    const noCert = runCli(["webhook", "--allow-registry", "example.com"]);
    assert.equal(noCert.status, 2);
    assert.match(noCert.stderr, /--tls-cert and --tls-key are required/);
    const noAllow = runCli(["webhook", "--tls-cert", "c.pem", "--tls-key", "k.pem"]);
    assert.equal(noAllow.status, 2);
    assert.match(noAllow.stderr, /--allow-registry HOST/);
    assert.ok(!hasStackTrace(noAllow.stderr));
  });

  test("webhook refuses command-line credentials unless it may contact exactly one registry", () => {
    const certs = ["--tls-cert", "c.pem", "--tls-key", "k.pem"];
    for (const allow of [["*"], ["a.example", "b.example"]]) {
      const run = runCli([
        "webhook",
        ...certs,
        ...allow.flatMap((h) => ["--allow-registry", h]),
        "--creds",
        "u:p",
      ]);
      assert.equal(run.status, 2, run.stderr);
      assert.match(run.stderr, /--creds, --username and --registry-token are for one registry/);
      assert.ok(!run.stderr.includes("u:p"));
    }
    const viaEnv = runCli(["webhook", ...certs, "--allow-registry", "*"], {
      env: { ...process.env, OCICOMPAT_CREDS: "u:p" },
    });
    assert.match(viaEnv.stderr, /--creds, --username and --registry-token are for one registry/);
    const token = runCli(["webhook", ...certs, "--allow-registry", "*"], {
      env: { ...process.env, OCICOMPAT_REGISTRY_TOKEN: "t0ken-value" },
    });
    assert.match(token.stderr, /are for one registry/);
    assert.ok(!token.stderr.includes("t0ken-value"));
    // One registry: the credentials are accepted, and the next check (the certificate) speaks.
    const one = runCli(["webhook", ...certs, "--allow-registry", "a.example", "--creds", "u:p"]);
    assert.equal(one.status, 2);
    assert.doesNotMatch(one.stderr, /are for one registry/);
  });
});
