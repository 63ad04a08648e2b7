// `copy` honours containers' signature policy for its source, as `skopeo copy` does with the same
// file: a rejected scope and a scope that requires signatures are refused by both (ocicompat
// verifies no signatures, so it refuses what skopeo would have to verify), everything else is
// copied by both. Against the real CNCF distribution registry; skopeo from Debian's package.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { tempDir } from "../content/layout-support.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import { hasStackTrace, runCli } from "./run-cli.js";

const ACCEPT = [{ type: "insecureAcceptAnything" }];
const REJECT = [{ type: "reject" }];
let registry: TestRegistry;
const work = tempDir("ocicompat-cli-policy-");
let runs = 0;

before(async () => {
  registry = await startRegistry();
  for (const repo of ["team/app", "team/other"]) {
    const pushed = runCli(["copy", "oci:examples/demo-layout:demo", `${registry.host}/${repo}:1`]);
    assert.equal(pushed.status, 0, pushed.stderr);
  }
});
after(async () => {
  await registry?.stop();
  work.remove();
});

function policyFile(doc: unknown): string {
  const file = join(work.path, `policy-${runs++}.json`);
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

/** ocicompat's and skopeo's exit statuses copying `src` into a fresh layout under `policy`. */
function bothCopy(src: string, policy: string, extra: readonly string[] = []) {
  const ours = runCli([
    "copy",
    "--policy",
    policy,
    ...extra,
    src,
    `oci:${work.path}/ours-${runs++}:1`,
  ]);
  const theirs = spawnSync(
    "skopeo",
    [
      "copy",
      "--policy",
      policy,
      "--src-tls-verify=false",
      src.startsWith("oci:") ? src : `docker://${src}`,
      `oci:${work.path}/theirs-${runs++}:1`,
    ],
    { encoding: "utf8" },
  );
  return { ours, theirs };
}

describe("copy and the signature policy (spawned, real registry, skopeo beside)", () => {
  test("a repository the policy rejects is refused by both, naming the section and the file; another repository is copied by both", () => {
    const policy = policyFile({
      default: ACCEPT,
      transports: { docker: { [`${registry.host}/team/app`]: REJECT } },
    });
    const refused = bothCopy(`${registry.host}/team/app:1`, policy);
    assert.equal(refused.ours.status, 2);
    assert.ok(!hasStackTrace(refused.ours.stderr));
    assert.match(
      refused.ours.stderr,
      new RegExp(
        `the signature policy rejects it \\(transports\\.docker\\["${registry.host}/team/app"\\] of ${policy}\\)`,
      ),
    );
    assert.notEqual(refused.theirs.status, 0, "skopeo refuses it too");
    assert.match(refused.theirs.stderr, /rejected/i);
    const copied = bothCopy(`${registry.host}/team/other:1`, policy);
    assert.equal(copied.ours.status, 0, copied.ours.stderr);
    assert.equal(copied.theirs.status, 0, copied.theirs.stderr);
  });

  test("a scope that requires signatures is refused by both (the image is unsigned), and --insecure-policy copies it", () => {
    const key = join(work.path, "key.gpg");
    writeFileSync(key, "");
    const policy = policyFile({
      default: ACCEPT,
      transports: {
        docker: { [registry.host]: [{ type: "signedBy", keyType: "GPGKeys", keyPath: key }] },
      },
    });
    const refused = bothCopy(`${registry.host}/team/app:1`, policy);
    assert.equal(refused.ours.status, 2);
    assert.match(
      refused.ours.stderr,
      /requires signedBy signatures .* which ocicompat does not verify/,
    );
    assert.notEqual(refused.theirs.status, 0, "skopeo finds no signature");
    assert.match(refused.theirs.stderr, /signature/i);
    const insecure = runCli([
      "copy",
      "--policy",
      policy,
      "--insecure-policy",
      `${registry.host}/team/app:1`,
      `oci:${work.path}/insecure:1`,
    ]);
    assert.equal(insecure.status, 0, insecure.stderr);
    // skopeo's own order, its global options before the command, runs as it is in both.
    const globals = ["--policy", policy, "--insecure-policy", "copy"];
    const ours = runCli([...globals, `${registry.host}/team/app:1`, `oci:${work.path}/global:1`]);
    assert.equal(ours.status, 0, ours.stderr);
    const theirs = spawnSync(
      "skopeo",
      [
        ...globals,
        "--src-tls-verify=false",
        `docker://${registry.host}/team/app:1`,
        `oci:${work.path}/global-skopeo:1`,
      ],
      { encoding: "utf8" },
    );
    assert.equal(theirs.status, 0, theirs.stderr);
    const stillRefused = runCli([
      "--policy",
      policy,
      "copy",
      `${registry.host}/team/app:1`,
      `oci:${work.path}/global-refused:1`,
    ]);
    assert.equal(stillRefused.status, 2, "without --insecure-policy the global --policy applies");
    assert.match(stillRefused.stderr, /requires signedBy signatures/);
  });

  test("a policy file containers/image refuses is refused by both, whatever scope the source falls under", () => {
    const invalid: unknown[] = [
      {
        default: ACCEPT,
        transports: { docker: { "x.example": [{ type: "signedBy", keyType: "GPGKeys" }] } },
      },
      {
        default: ACCEPT,
        transports: {
          docker: {
            "x.example": [{ type: "signedBy", keyType: "GPGKeys", keyPath: "/k", bogus: 1 }],
          },
        },
      },
      {
        default: ACCEPT,
        transports: {
          docker: {
            "x.example": [
              { type: "sigstoreSigned", keyPath: "/k", signedIdentity: { type: "matchRepo" } },
            ],
          },
        },
      },
      { default: ACCEPT, transports: { dir: { foo: ACCEPT } } },
      { default: ACCEPT, transports: { "docker-archive": { "/x": ACCEPT } } },
    ];
    for (const doc of invalid) {
      const policy = policyFile(doc);
      const { ours, theirs } = bothCopy(`${registry.host}/team/other:1`, policy);
      assert.equal(ours.status, 2, `${JSON.stringify(doc)}: ${ours.stderr}`);
      assert.match(ours.stderr, /invalid signature policy: /);
      assert.ok(!hasStackTrace(ours.stderr));
      assert.notEqual(theirs.status, 0, `skopeo accepted ${JSON.stringify(doc)}`);
      assert.match(theirs.stderr, /polic/i);
    }
  });

  test("a layout source is looked up by its directory in the oci section, by both", () => {
    const layout = join(work.path, "layout");
    assert.equal(runCli(["copy", "oci:examples/demo-layout:demo", `oci:${layout}:1`]).status, 0);
    const policy = policyFile({ default: ACCEPT, transports: { oci: { [layout]: REJECT } } });
    const refused = bothCopy(`oci:${layout}:1`, policy);
    assert.equal(refused.ours.status, 2);
    assert.match(refused.ours.stderr, /rejects it \(transports\.oci/);
    assert.notEqual(refused.theirs.status, 0);
    assert.match(refused.theirs.stderr, /rejected/i);
  });

  test("without --policy, ~/.config/containers/policy.json is the policy; one that does not parse is an error naming it", () => {
    const home = join(work.path, "home");
    mkdirSync(join(home, ".config", "containers"), { recursive: true });
    const file = join(home, ".config", "containers", "policy.json");
    writeFileSync(file, JSON.stringify({ default: REJECT }));
    const env = { HOME: home };
    const args = ["copy", `${registry.host}/team/app:1`, `oci:${work.path}/home-copy:1`];
    const refused = runCli(args, { env });
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, new RegExp(`rejects it \\(default of ${file}\\)`));
    writeFileSync(file, '{"default": [{"type": "acceptEverything"}]}');
    const broken = runCli(args, { env });
    assert.equal(broken.status, 2);
    assert.match(broken.stderr, new RegExp(`^ocicompat: ${file}: invalid signature policy: `, "m"));
    assert.ok(!hasStackTrace(broken.stderr));
  });
});
