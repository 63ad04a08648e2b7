// skopeo copy's flags on `ocicompat copy`, against real distribution registries: --retry-times
// across a registry restart, --digestfile beside skopeo's own, --quiet, --all, --multi-arch,
// --preserve-digests, and --no-creds / --src-no-creds / --dest-no-creds on an htpasswd registry.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, lstatSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { openLayout } from "../../src/content/layout.js";
import { createRegistryStore } from "../../src/content/registry/index.js";
import { tempDir } from "../content/layout-support.js";
import { startRegistryWithImage } from "../support/auth-registry.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import { imageWithCompat } from "../support/sample-image.js";
import { pushToRegistry, runCliAsync } from "../ops/select-support.js";
import { hasStackTrace, isolatedEnv } from "./run-cli.js";

const work = tempDir("ocicompat-cli-copy-skopeo-");
const image = imageWithCompat("cli-copy-skopeo");
const root = image.index.desc;
const LOGIN = { user: "alice", password: "s3cret-skopeo" };
let src: TestRegistry;
let dst: TestRegistry;
let locked: TestRegistry;

before(async () => {
  [src, dst] = await Promise.all([startRegistry(), startRegistry()]);
  await pushToRegistry(src.host, "app/src", image.blobs, root, "v1");
  locked = await startRegistryWithImage(
    LOGIN,
    { blobs: image.blobs, root },
    { repository: "app/locked", tag: "v1" },
  );
});

after(async () => {
  await Promise.all([src?.stop(), dst?.stop(), locked?.stop()]);
  work.remove();
});

async function taggedDigest(host: string, repository: string, tag: string): Promise<string> {
  const store = createRegistryStore({ registry: host, repository });
  try {
    return (await store.resolve(tag)).digest;
  } finally {
    await store.close();
  }
}

/** An auth file holding the locked registry's right password. */
function authFile(): string {
  const file = join(work.path, "auth.json");
  const auth = Buffer.from(`${LOGIN.user}:${LOGIN.password}`).toString("base64");
  writeFileSync(file, JSON.stringify({ auths: { [locked.host]: { auth } } }));
  return file;
}

describe("copy --retry-times", () => {
  test("copies once a destination registry that was down comes back, retrying as it said", async () => {
    await dst.suspend();
    const child = spawn(
      process.execPath,
      [
        "bin/ocicompat.js",
        "copy",
        "--retry-times",
        "20",
        "--retry-delay",
        "250ms",
        `${src.host}/app/src:v1`,
        `${dst.host}/app/retried:v1`,
      ],
      {
        env: { ...process.env, NO_COLOR: "1", ...isolatedEnv() },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stderr = "";
    let resumed: Promise<void> | undefined;
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      // The registry comes back only once the copy has failed and said it will try again.
      if (resumed === undefined && /retry 1 of 20/.test(stderr)) resumed = dst.resume();
    });
    const status = await new Promise<number | null>((resolve) => child.on("close", resolve));
    await resumed;
    assert.equal(status, 0, stderr);
    assert.match(
      stderr,
      /ocicompat: warning: .*127\.0\.0\.1.*; copying again in 250ms \(retry 1 of 20\)/,
    );
    assert.equal(hasStackTrace(stderr), false);
    assert.equal(await taggedDigest(dst.host, "app/retried", "v1"), root.digest);
  });

  test("without it, a registry that is down fails the copy at once", async () => {
    await dst.suspend();
    try {
      const out = await runCliAsync(["copy", `${src.host}/app/src:v1`, `${dst.host}/app/once:v1`]);
      assert.equal(out.status, 2);
      assert.doesNotMatch(out.stderr, /retry/);
      assert.match(out.stderr, /127\.0\.0\.1/);
    } finally {
      await dst.resume();
    }
  });

  test("a failure that cannot pass (an unknown tag) is not tried again", async () => {
    const out = await runCliAsync([
      "copy",
      "--retry-times",
      "3",
      `${src.host}/app/src:nope`,
      `${dst.host}/app/never:v1`,
    ]);
    assert.equal(out.status, 2);
    assert.doesNotMatch(out.stderr, /retry|copying again/);
    assert.match(out.stderr, /not found/);
  });

  test("a count that is not a whole number from 0 to 100 is a usage error", async () => {
    for (const n of ["-1", "2.5", "101", "x"]) {
      const out = await runCliAsync(["copy", "--retry-times", n, "oci:a:b", "oci:c:d"]);
      assert.equal(out.status, 2);
      assert.match(out.stderr, /--retry-times must be an integer from 0 to 100/);
    }
    const delay = await runCliAsync(["copy", "--retry-delay", "soon", "oci:a:b", "oci:c:d"]);
    assert.equal(delay.status, 2);
    assert.match(delay.stderr, /--retry-delay "soon" is not a duration/);
  });
});

describe("copy --digestfile, --quiet, --all", () => {
  test("--digestfile holds what skopeo's holds for the same copy: the digest, no newline", async () => {
    const ours = join(work.path, "ours.digest");
    const theirs = join(work.path, "theirs.digest");
    const out = await runCliAsync([
      "copy",
      "--digestfile",
      ours,
      `${src.host}/app/src:v1`,
      `${dst.host}/app/digestfile:v1`,
    ]);
    assert.equal(out.status, 0, out.stderr);
    const skopeo = spawnSync(
      "skopeo",
      [
        "--insecure-policy",
        "copy",
        "-q",
        "--all",
        "--src-tls-verify=false",
        "--dest-tls-verify=false",
        "--digestfile",
        theirs,
        `docker://${src.host}/app/src:v1`,
        `docker://${dst.host}/app/digestfile-skopeo:v1`,
      ],
      { encoding: "utf8" },
    );
    assert.equal(skopeo.status, 0, skopeo.stderr);
    assert.equal(readFileSync(ours, "utf8"), root.digest);
    assert.equal(readFileSync(ours, "utf8"), readFileSync(theirs, "utf8"));
  });

  test("--digestfile writes through a symbolic link and to /dev/stdout, as skopeo does", async () => {
    const target = join(work.path, "digest-target");
    const link = join(work.path, "digest-link");
    writeFileSync(target, "old");
    symlinkSync(target, link);
    const out = await runCliAsync([
      "copy",
      "--digestfile",
      link,
      `${src.host}/app/src:v1`,
      `${dst.host}/app/digest-link:v1`,
    ]);
    assert.equal(out.status, 0, out.stderr);
    assert.equal(lstatSync(link).isSymbolicLink(), true, "the link is kept");
    assert.equal(readFileSync(target, "utf8"), root.digest);
    // Through a real pipe: Node's own child pipes are sockets, which /dev/stdout cannot open.
    const piped = spawnSync(
      "bash",
      [
        "-c",
        'node bin/ocicompat.js copy -q --digestfile /dev/stdout "$1" "$2" | cat',
        "bash",
        `${src.host}/app/src:v1`,
        `${dst.host}/app/digest-stdout:v1`,
      ],
      { encoding: "utf8", env: { ...process.env, NO_COLOR: "1", ...isolatedEnv() } },
    );
    assert.equal(piped.status, 0, piped.stderr);
    assert.equal(piped.stdout, root.digest);
  });

  test("a --digestfile that cannot be written fails the run, and says the copy is complete", async () => {
    const out = await runCliAsync([
      "copy",
      "--digestfile",
      join(work.path, "no-such-dir", "d"),
      `${src.host}/app/src:v1`,
      `${dst.host}/app/digest-dir:v1`,
    ]);
    assert.equal(out.status, 2);
    assert.match(
      out.stderr,
      /the copy to .* is complete, but the --digestfile cannot be written: its directory does not exist/,
    );
    assert.equal(hasStackTrace(out.stderr), false);
    assert.equal(await taggedDigest(dst.host, "app/digest-dir", "v1"), root.digest);
  });

  test("-q prints nothing on stdout or stderr and still copies; -a is accepted as what copy always does", async () => {
    const dir = join(work.path, "quiet");
    const out = await runCliAsync(["copy", "-q", "-a", `${src.host}/app/src:v1`, `oci:${dir}`]);
    assert.equal(out.status, 0, out.stderr);
    assert.equal(out.stdout, "");
    assert.equal(out.stderr, "");
    assert.equal((await (await openLayout(dir)).resolve("v1")).digest, root.digest);
  });

  test("--quiet with an explicit --output is a usage error", async () => {
    const out = await runCliAsync(["copy", "--quiet", "-o", "json", "oci:a:b", "oci:c:d"]);
    assert.equal(out.status, 2);
    assert.match(out.stderr, /give --quiet or --output, not both/);
  });
});

describe("copy --multi-arch and --preserve-digests", () => {
  test("--multi-arch all copies the whole index; system and index-only are refused before anything is written", async () => {
    const all = join(work.path, "multi-all");
    const ok = await runCliAsync([
      "copy",
      "--multi-arch",
      "all",
      `${src.host}/app/src:v1`,
      `oci:${all}`,
    ]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal((await (await openLayout(all)).resolve("v1")).digest, root.digest);
    for (const [how, why] of [
      ["system", /--multi-arch system is not supported.*--platform OS\/ARCH.*ocicompat select/],
      ["index-only", /would tag an index whose images are not there/],
    ] as const) {
      const dir = join(work.path, `multi-${how}`);
      const out = await runCliAsync([
        "copy",
        "--multi-arch",
        how,
        `${src.host}/app/src:v1`,
        `oci:${dir}`,
      ]);
      assert.equal(out.status, 2);
      assert.match(out.stderr, why);
      assert.equal(existsSync(dir), false, `${how}: nothing written`);
    }
  });

  test("--preserve-digests refuses a --platform that drops entries, and allows one that keeps them all", async () => {
    const dropped = join(work.path, "preserve-drop");
    const out = await runCliAsync([
      "copy",
      "--preserve-digests",
      "--platform",
      "linux/amd64",
      `${src.host}/app/src:v1`,
      `oci:${dropped}`,
    ]);
    // The fixture's index lists linux/amd64 and linux/arm64/v8.
    assert.equal(out.status, 2);
    assert.match(
      out.stderr,
      /writes a new index, under a new digest, and --preserve-digests forbids that/,
    );
    assert.equal(existsSync(dropped), false);

    const kept = join(work.path, "preserve-keep");
    const ok = await runCliAsync([
      "copy",
      "--preserve-digests",
      "--platform",
      "linux/amd64",
      "--platform",
      "linux/arm64",
      `${src.host}/app/src:v1`,
      `oci:${kept}`,
    ]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal((await (await openLayout(kept)).resolve("v1")).digest, root.digest);
  });
});

describe("--no-creds, --src-no-creds, --dest-no-creds", () => {
  test("--src-no-creds reads anonymously: the auth file's right password is not sent", async () => {
    const file = authFile();
    const withCreds = await runCliAsync([
      "copy",
      "--authfile",
      file,
      `${locked.host}/app/locked:v1`,
      `oci:${join(work.path, "locked-ok")}`,
    ]);
    assert.equal(withCreds.status, 0, withCreds.stderr);
    const anonymous = await runCliAsync([
      "copy",
      "--authfile",
      file,
      "--src-no-creds",
      `${locked.host}/app/locked:v1`,
      `oci:${join(work.path, "locked-anon")}`,
    ]);
    assert.equal(anonymous.status, 2);
    assert.match(
      anonymous.stderr,
      /authentication required for .*: --src-no-creds sent no credentials \(drop it to send those of the auth files\)/,
    );
  });

  test("--dest-no-creds writes anonymously, while the source keeps its credentials", async () => {
    const out = await runCliAsync([
      "copy",
      "--authfile",
      authFile(),
      "--dest-no-creds",
      `${locked.host}/app/locked:v1`,
      `${dst.host}/app/from-locked:v1`,
    ]);
    assert.equal(out.status, 0, out.stderr);
    assert.equal(await taggedDigest(dst.host, "app/from-locked", "v1"), root.digest);
    const refused = await runCliAsync([
      "copy",
      "--authfile",
      authFile(),
      "--dest-no-creds",
      `${src.host}/app/src:v1`,
      `${locked.host}/app/pushed:v1`,
    ]);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /--dest-no-creds sent no credentials/);
  });

  test("--no-creds on a reading command sends none either, not even $REGISTRY_AUTH_FILE's", async () => {
    const env = { REGISTRY_AUTH_FILE: authFile() };
    const out = await runCliAsync(["ls", "--no-creds", `${locked.host}/app/locked`], env);
    assert.equal(out.status, 2);
    assert.match(out.stderr, /--no-creds sent no credentials/);
    const ok = await runCliAsync(["ls", `${locked.host}/app/locked`], env);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /v1/);
  });

  test("a side's own credentials replace --no-creds on that side; the other side stays anonymous", async () => {
    const out = await runCliAsync([
      "copy",
      "--no-creds",
      "--src-creds",
      `${LOGIN.user}:${LOGIN.password}`,
      `${locked.host}/app/locked:v1`,
      `oci:${join(work.path, "no-creds-but-src")}`,
    ]);
    assert.equal(out.status, 0, out.stderr);
    const refused = await runCliAsync([
      "copy",
      "--no-creds",
      "--src-creds",
      `${LOGIN.user}:${LOGIN.password}`,
      "oci:examples/demo-layout:demo",
      `${locked.host}/app/anonymous-push:v1`,
    ]);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /--no-creds sent no credentials/);
  });

  test("a variable yields to its side's flags: $OCICOMPAT_SRC_CREDS with --src-no-creds is anonymous", async () => {
    const out = await runCliAsync(
      ["copy", "--src-no-creds", `${locked.host}/app/locked:v1`, `oci:${join(work.path, "env")}`],
      { OCICOMPAT_SRC_CREDS: `${LOGIN.user}:${LOGIN.password}` },
    );
    assert.equal(out.status, 2);
    assert.match(out.stderr, /--src-no-creds sent no credentials/);
    assert.doesNotMatch(out.stderr, /not both/);
  });

  test("--creds with --no-creds is a usage error, in either order", async () => {
    for (const args of [
      ["--creds", "a:b", "--no-creds"],
      ["--no-creds", "--creds", "a:b"],
    ]) {
      const out = await runCliAsync(["ls", ...args, `${locked.host}/app/locked`]);
      assert.equal(out.status, 2, args.join(" "));
      assert.match(out.stderr, /give --creds or --no-creds, not both/);
      assert.equal(hasStackTrace(out.stderr), false);
    }
  });

  test("a side's --no-creds beside its own credentials is a usage error", async () => {
    for (const [args, why] of [
      [["--src-no-creds", "--src-creds", "a:b"], /give --src-no-creds or --src-creds, not both/],
      [
        ["--dest-no-creds", "--dest-authfile", "f"],
        /give --dest-no-creds or --dest-authfile, not both/,
      ],
      [["--no-creds", "--authfile", "f"], /give --no-creds or --authfile, not both/],
    ] as const) {
      const out = await runCliAsync([
        "copy",
        ...args,
        `${src.host}/app/src:v1`,
        `${dst.host}/app/x:v1`,
      ]);
      assert.equal(out.status, 2, args.join(" "));
      assert.match(out.stderr, why);
    }
  });
});
