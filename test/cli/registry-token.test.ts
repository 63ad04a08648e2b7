// Bearer tokens against the real distribution registry's token auth (it verifies every JWT it is
// given; the token service that issues them is the test's, test/support/token-service.ts): the
// usual flow with a user and password, and skopeo's --registry-token / --src-registry-token /
// --dest-registry-token, which send a token given on the command line instead of asking the
// service.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import bcrypt from "bcryptjs";
import { after, before, describe, test } from "node:test";
import { openLayout } from "../../src/content/layout.js";
import { tempDir } from "../content/layout-support.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import { startTokenRegistry, type TokenRegistry } from "../support/token-service.js";
import { runCliAsync } from "../ops/select-support.js";
import { hasStackTrace } from "./run-cli.js";

const work = tempDir("ocicompat-cli-registry-token-");
const LOGIN = "alice:token-s3cret";
let tokens: TokenRegistry;
let open: TestRegistry;
let basic: TestRegistry;
let host: string;

before(async () => {
  [tokens, open, basic] = await Promise.all([
    startTokenRegistry(work.path, { users: { alice: "token-s3cret" } }),
    startRegistry(),
    startRegistry({ htpasswd: `alice:${bcrypt.hashSync("basic-s3cret", 4)}\n` }),
  ]);
  host = tokens.registry.host;
  const out = await runCliAsync([
    "copy",
    "--dest-creds",
    LOGIN,
    "oci:examples/demo-layout:demo",
    `${host}/app/demo:v1`,
  ]);
  assert.equal(out.status, 0, out.stderr);
});

after(async () => {
  await Promise.all([tokens?.stop(), open?.stop(), basic?.stop()]);
  work.remove();
});

describe("a registry with token auth (real distribution, verifying the tokens)", () => {
  test("a user's password is exchanged at the token service for the scopes each request needs", async () => {
    const before = tokens.requests.length;
    const out = await runCliAsync(["ls", "--creds", LOGIN, `${host}/app/demo`]);
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /^v1$/m);
    const asked = tokens.requests.slice(before).flat();
    assert.ok(asked.includes("repository:app/demo:pull"), asked.join(" "));
  });

  test("--registry-token is sent as it is: the token service is never asked", async () => {
    const before = tokens.requests.length;
    const token = tokens.mint([{ repository: "app/demo", actions: ["pull"] }]);
    const out = await runCliAsync(["ls", "--registry-token", token, `${host}/app/demo`]);
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /^v1$/m);
    assert.equal(tokens.requests.length, before);
    const fromEnv = await runCliAsync(["ls", `${host}/app/demo`], {
      OCICOMPAT_REGISTRY_TOKEN: token,
    });
    assert.equal(fromEnv.status, 0, fromEnv.stderr);
    assert.equal(tokens.requests.length, before);
  });

  test("a token the registry refuses is named, never printed, not even with OCICOMPAT_DEBUG", async () => {
    const token = `${tokens.mint([{ repository: "app/demo", actions: ["pull"] }])}x`;
    const out = await runCliAsync(["ls", "--registry-token", token, `${host}/app/demo`]);
    assert.equal(out.status, 2);
    assert.match(out.stderr, /the bearer token from --registry-token was refused/);
    assert.equal(hasStackTrace(out.stderr), false);
    const debug = await runCliAsync(["ls", `${host}/app/demo`], {
      OCICOMPAT_REGISTRY_TOKEN: token,
      OCICOMPAT_DEBUG: "1",
    });
    assert.equal(debug.status, 2);
    assert.match(debug.stderr, /the bearer token from \$OCICOMPAT_REGISTRY_TOKEN was refused/);
    // The header is the same in every token the service mints; the claims and signature are not.
    for (const text of [out.stdout + out.stderr, debug.stdout + debug.stderr]) {
      assert.equal(text.includes(token.slice(-40)), false);
      assert.equal(text.includes(token.split(".")[1]!.slice(0, 40)), false);
    }
  });

  test("a registry that asks for a user name and password is not sent the token", async () => {
    const out = await runCliAsync([
      "ls",
      "--registry-token",
      tokens.mint([{ repository: "app/demo", actions: ["pull"] }]),
      `${basic.host}/app/locked`,
    ]);
    assert.equal(out.status, 2);
    assert.match(
      out.stderr,
      /asks for a user name and password, but the credentials found are the bearer token from --registry-token/,
    );
  });

  test("copy takes a token per side: pull on the source, push on the destination", async () => {
    const asked = tokens.requests.length;
    const src = tokens.mint([{ repository: "app/demo", actions: ["pull"] }]);
    const dst = tokens.mint([{ repository: "app/copied", actions: ["pull", "push"] }]);
    const out = await runCliAsync([
      "copy",
      "--src-registry-token",
      src,
      "--dest-registry-token",
      dst,
      `${host}/app/demo:v1`,
      `${host}/app/copied:v1`,
    ]);
    assert.equal(out.status, 0, out.stderr);
    const back = join(work.path, "back");
    const read = await runCliAsync([
      "copy",
      "--registry-token",
      dst,
      `${host}/app/copied:v1`,
      `oci:${back}`,
    ]);
    assert.equal(read.status, 0, read.stderr);
    const demo = await (await openLayout("examples/demo-layout")).resolve("demo");
    assert.equal((await (await openLayout(back)).resolve("v1")).digest, demo.digest);
    assert.equal(tokens.requests.length, asked, "the token service was never asked");
  });

  test("a mount the token does not allow is uploaded instead, and the blob's location is not forgotten", async () => {
    const cache = { OCICOMPAT_CACHE_DIR: join(work.path, "mount-cache") };
    const first = await runCliAsync(
      ["copy", "--dest-creds", LOGIN, "oci:examples/demo-layout:demo", `${host}/mem/one:v1`],
      cache,
    );
    assert.equal(first.status, 0, first.stderr);
    const mounted = async (repository: string): Promise<string> => {
      const out = await runCliAsync(
        [
          "copy",
          "--dest-creds",
          LOGIN,
          "oci:examples/demo-layout:demo",
          `${host}/${repository}:v1`,
        ],
        cache,
      );
      assert.equal(out.status, 0, out.stderr);
      const m = /\((\d+) mounted/.exec(out.stdout);
      assert.ok(m, out.stdout);
      return m[1]!;
    };
    const before = await mounted("mem/control");
    // Pull on both repositories but no push: every mount is refused, then the upload too.
    const narrow = tokens.mint([
      { repository: "mem/two", actions: ["pull"] },
      { repository: "mem/one", actions: ["pull"] },
    ]);
    const refused = await runCliAsync(
      [
        "copy",
        "--dest-registry-token",
        narrow,
        "oci:examples/demo-layout:demo",
        `${host}/mem/two:v1`,
      ],
      cache,
    );
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /mem\/two:.*push.* was not granted/);
    assert.equal(await mounted("mem/three"), before, "as many mounts as before the refused run");
  });

  test("a token without push is refused by the registry, and the error says what was not granted", async () => {
    const pullOnly = tokens.mint([{ repository: "app/denied", actions: ["pull"] }]);
    const push = await runCliAsync([
      "copy",
      "--dest-registry-token",
      pullOnly,
      "oci:examples/demo-layout:demo",
      `${host}/app/denied:v1`,
    ]);
    assert.equal(push.status, 2);
    assert.match(
      push.stderr,
      /access denied to .*app\/denied: .*push.* was not granted \(the bearer token from --dest-registry-token\)/,
    );
    assert.doesNotMatch(push.stderr, new RegExp(pullOnly.slice(0, 40)));
  });

  test("a token beside other credentials of its side is a usage error", async () => {
    for (const [args, why] of [
      [["--registry-token", "t", "--creds", "a:b"], /give --registry-token or --creds, not both/],
      [["--registry-token", "t", "--no-creds"], /give --registry-token or --no-creds, not both/],
    ] as const) {
      const out = await runCliAsync(["ls", ...args, `${host}/app/demo`]);
      assert.equal(out.status, 2, args.join(" "));
      assert.match(out.stderr, why);
    }
    const copy = await runCliAsync([
      "copy",
      "--src-registry-token",
      "t",
      "--src-creds",
      "a:b",
      `${host}/app/demo:v1`,
      `oci:${join(work.path, "never")}`,
    ]);
    assert.equal(copy.status, 2);
    assert.match(copy.stderr, /give --src-registry-token or --src-creds, not both/);
  });

  test("a shared variable is not sent to the side without credentials of its own", async () => {
    const asked = tokens.requests.length;
    const out = await runCliAsync(
      [
        "copy",
        "--src-registry-token",
        tokens.mint([{ repository: "app/demo", actions: ["pull"] }]),
        `${host}/app/demo:v1`,
        `${open.host}/app/ambient:v1`,
      ],
      { OCICOMPAT_REGISTRY_TOKEN: tokens.mint([{ repository: "x/y", actions: ["pull"] }]) },
    );
    assert.equal(out.status, 2);
    assert.match(
      out.stderr,
      new RegExp(
        `\\$OCICOMPAT_REGISTRY_TOKEN would go to ${open.host}, the side without credentials of its own: give that side its own \\(--dest-creds`,
      ),
    );
    assert.equal(tokens.requests.length, asked);
  });

  test("a registries.conf mirror is read with its own credentials from the auth files, never the token", async () => {
    // The image is only on the mirror, which takes a user name and password (Basic).
    const seeded = await runCliAsync([
      "copy",
      "--dest-creds",
      "alice:basic-s3cret",
      "oci:examples/demo-layout:demo",
      `${basic.host}/cache/app/mirrored:v1`,
    ]);
    assert.equal(seeded.status, 0, seeded.stderr);
    const conf = join(work.path, "mirror.conf");
    writeFileSync(
      conf,
      `[[registry]]\nprefix = "${host}/app"\nlocation = "${host}/app"\n[[registry.mirror]]\nlocation = "${basic.host}/cache/app"\n`,
    );
    const auth = join(work.path, "mirror-auth.json");
    const entry = Buffer.from("alice:basic-s3cret").toString("base64");
    writeFileSync(auth, JSON.stringify({ auths: { [basic.host]: { auth: entry } } }));
    const out = await runCliAsync(
      [
        "inspect",
        "-o",
        "json",
        "--registries-conf",
        conf,
        "--registry-token",
        tokens.mint([{ repository: "app/mirrored", actions: ["pull"] }]),
        `${host}/app/mirrored:v1`,
      ],
      { REGISTRY_AUTH_FILE: auth },
    );
    assert.equal(out.status, 0, out.stderr);
    const demo = await (await openLayout("examples/demo-layout")).resolve("demo");
    assert.equal(
      (JSON.parse(out.stdout) as { root: { descriptor: { digest: string } } }).root.descriptor
        .digest,
      demo.digest,
    );
  });

  test("--registry-token alone between two registries is refused before anything is sent", async () => {
    const out = await runCliAsync([
      "copy",
      "--registry-token",
      "t",
      `${host}/app/demo:v1`,
      `${open.host}/app/demo:v1`,
    ]);
    assert.equal(out.status, 2);
    assert.match(out.stderr, /would go to both .*--src-registry-token and --dest-registry-token/);
  });
});
