// registries.conf from the command line, beside skopeo and podman (Debian's packages) reading the
// same file: a primary registry and a mirror holding a different image under the same tag, so
// whoever answered is visible in the digest. skopeo takes the file with --registries-conf,
// podman and ocicompat also from CONTAINERS_REGISTRIES_CONF.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { sampleImage, tempDir } from "../content/layout-support.js";
import { pushToRegistry } from "../ops/select-support.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import { hasStackTrace, runCli } from "./run-cli.js";

let primary: TestRegistry;
let mirror: TestRegistry;
const work = tempDir("ocicompat-cli-rconf-");
const primaryImage = sampleImage("primary");
const mirrorImage = sampleImage("mirror");
let conf: string;

before(async () => {
  [primary, mirror] = await Promise.all([startRegistry(), startRegistry()]);
  await Promise.all([
    pushToRegistry(primary.host, "team/app", primaryImage.blobs, primaryImage.index.desc, "1"),
    pushToRegistry(mirror.host, "cache/team/app", mirrorImage.blobs, mirrorImage.index.desc, "1"),
  ]);
  // `insecure`: Go's clients speak HTTPS to loopback registries unless told otherwise.
  conf = write(
    "mirror.conf",
    `[[registry]]
prefix = "${primary.host}/team"
location = "${primary.host}/team"
insecure = true
[[registry.mirror]]
location = "${mirror.host}/cache/team"
insecure = true
`,
  );
});

after(async () => {
  await Promise.all([primary?.stop(), mirror?.stop()]);
  work.remove();
});

function write(name: string, text: string): string {
  const file = join(work.path, name);
  writeFileSync(file, text);
  return file;
}

function inspectedDigest(stdout: string): string {
  return (JSON.parse(stdout) as { root: { descriptor: { digest: string } } }).root.descriptor
    .digest;
}

function skopeoRawDigest(file: string, reference: string): string {
  const raw = execFileSync(
    "skopeo",
    ["--registries-conf", file, "inspect", "--raw", `docker://${reference}`],
    { encoding: "buffer", timeout: 60_000, stdio: ["ignore", "pipe", "pipe"] },
  );
  return `sha256:${createHash("sha256").update(raw).digest("hex")}`;
}

describe("registries.conf on the command line", () => {
  test("inspect reads the image from the mirror, as skopeo does with the same file", () => {
    const reference = `${primary.host}/team/app:1`;
    const ours = runCli(["inspect", "--registries-conf", conf, reference, "-o", "json"]);
    assert.equal(ours.status, 0, ours.stderr);
    assert.equal(inspectedDigest(ours.stdout), mirrorImage.index.desc.digest);
    assert.equal(skopeoRawDigest(conf, reference), mirrorImage.index.desc.digest);
    // And without the file, both read the primary.
    const direct = runCli([
      "inspect",
      reference,
      "-o",
      "json",
      "--registries-conf",
      write("none.conf", ""),
    ]);
    assert.equal(inspectedDigest(direct.stdout), primaryImage.index.desc.digest);
  });

  test("select -o json and check say where the image was read from when a mirror answered", () => {
    const reference = `${primary.host}/team/app:1`;
    const selected = runCli([
      "select",
      "--registries-conf",
      conf,
      "--platform",
      "linux/amd64",
      reference,
      "-o",
      "json",
    ]);
    assert.equal(selected.status, 0, selected.stderr);
    const doc = JSON.parse(selected.stdout) as {
      reference: string;
      readFrom?: object;
      root: { digest: string };
    };
    assert.equal(doc.reference, reference);
    assert.equal(doc.root.digest, mirrorImage.index.desc.digest);
    assert.deepEqual(doc.readFrom, {
      registry: mirror.host,
      repository: "cache/team/app",
      mirror: true,
    });
    const checked = runCli([
      "check",
      "--registries-conf",
      conf,
      "--platform",
      "linux/amd64",
      reference,
    ]);
    assert.equal(checked.status, 0, checked.stderr);
    assert.match(
      checked.stdout,
      new RegExp(`^read from ${mirror.host}/cache/team/app \\(registries.conf mirror\\)$`, "m"),
    );
    const direct = runCli([
      "select",
      "--no-registries-conf",
      "--platform",
      "linux/amd64",
      reference,
      "-o",
      "json",
    ]);
    assert.equal((JSON.parse(direct.stdout) as { readFrom?: object }).readFrom, undefined);
  });

  test("CONTAINERS_REGISTRIES_CONF is read, as podman reads it; --registries-conf and --no-registries-conf win over it", () => {
    const reference = `${primary.host}/team/app:1`;
    const fromEnv = runCli(["inspect", reference, "-o", "json"], {
      env: { CONTAINERS_REGISTRIES_CONF: conf },
    });
    assert.equal(fromEnv.status, 0, fromEnv.stderr);
    assert.equal(inspectedDigest(fromEnv.stdout), mirrorImage.index.desc.digest);
    const flagWins = runCli(
      ["inspect", reference, "-o", "json", "--registries-conf", write("empty.conf", "")],
      { env: { CONTAINERS_REGISTRIES_CONF: conf } },
    );
    assert.equal(inspectedDigest(flagWins.stdout), primaryImage.index.desc.digest);
    const none = runCli(["inspect", reference, "-o", "json", "--no-registries-conf"], {
      env: { CONTAINERS_REGISTRIES_CONF: conf },
    });
    assert.equal(none.status, 0, none.stderr);
    assert.equal(inspectedDigest(none.stdout), primaryImage.index.desc.digest);
  });

  test("podman pulls from the mirror with the same file, the index ocicompat read", () => {
    const dir = join(work.path, "podman");
    const policy = write("policy.json", '{"default":[{"type":"insecureAcceptAnything"}]}');
    const global = ["--root", join(dir, "root"), "--runroot", join(dir, "runroot")];
    global.push("--storage-driver", "vfs", "--events-backend", "file");
    const reference = `${primary.host}/team/app:1`;
    const options = {
      env: { ...process.env, CONTAINERS_REGISTRIES_CONF: conf },
      encoding: "utf8" as const,
      timeout: 120_000,
    };
    execFileSync(
      "podman",
      [...global, "pull", "-q", "--arch", "amd64", "--signature-policy", policy, reference],
      options,
    );
    const digest = execFileSync(
      "podman",
      [...global, "image", "inspect", "--format", "{{.Digest}}", reference],
      options,
    ).trim();
    assert.equal(digest, mirrorImage.index.desc.digest);
  });

  test("copy reads its source through the mirror, and mounts the blobs from where it read them", () => {
    const source = `${primary.host}/team/app:1`;
    const target = `${mirror.host}/copies/app:1`;
    const result = runCli(["copy", "--registries-conf", conf, "--no-mount-memory", source, target]);
    assert.equal(result.status, 0, result.stderr);
    // Every blob of the mirror's image is already in the mirror's cache/team/app: all mounted.
    const blobs = mirrorImage.blobs.filter((b) => !/manifest|index/.test(b.desc.mediaType)).length;
    assert.match(result.stdout + result.stderr, new RegExp(`\\(${blobs} mounted,`));
    const copied = runCli(["inspect", "--no-registries-conf", target, "-o", "json"]);
    assert.equal(inspectedDigest(copied.stdout), mirrorImage.index.desc.digest);
  });

  test("a mirror that is down is passed over with a warning on stderr, and the command succeeds", () => {
    const down = write(
      "down.conf",
      `[[registry]]
prefix = "${primary.host}/team"
location = "${primary.host}/team"
[[registry.mirror]]
location = "127.0.0.1:1/cache/team"
`,
    );
    const result = runCli([
      "inspect",
      "--registries-conf",
      down,
      `${primary.host}/team/app:1`,
      "-o",
      "json",
    ]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(inspectedDigest(result.stdout), primaryImage.index.desc.digest);
    assert.match(
      result.stderr,
      /^ocicompat: warning: 127\.0\.0\.1:1\/cache\/team\/app did not answer for 1, so .* was read instead: .*connection refused/m,
    );
  });

  test("a registries.conf that cannot be parsed stops the command with its file and line", () => {
    const broken = write("broken.conf", '[[registry]]\nprefix = "a.example"\nlocation = \n');
    const result = runCli(["inspect", "--registries-conf", broken, `${primary.host}/team/app:1`]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, new RegExp(`${broken}: line 3:`));
    assert.equal(hasStackTrace(result.stderr), false);
  });

  test("a blocked registry is refused by ocicompat and by skopeo alike", () => {
    const blocked = write(
      "blocked.conf",
      `[[registry]]\nlocation = "${primary.host}/team"\nblocked = true\n`,
    );
    const reference = `${primary.host}/team/app:1`;
    for (const args of [
      ["inspect", reference],
      ["copy", reference, `oci:${join(work.path, "out")}:1`],
    ]) {
      const result = runCli([...args, "--registries-conf", blocked]);
      assert.equal(result.status, 2, result.stdout);
      assert.match(result.stderr, /is blocked by the registries configuration/);
      assert.match(result.stderr, new RegExp(blocked));
    }
    assert.throws(
      () => skopeoRawDigest(blocked, reference),
      (err: unknown) => /blocked/.test(String((err as { stderr?: Buffer }).stderr)),
    );
  });
});
