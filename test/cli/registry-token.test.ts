// Bearer tokens against the real distribution registry's token auth (it verifies every JWT it is
// given; the token service that issues them is the test's, test/support/token-service.ts): the
// usual flow with a user and password, and skopeo's --registry-token / --src-registry-token /
// --dest-registry-token, which send a token given on the command line instead of asking the
// service.
import assert from "node:assert/strict";
import { join } from "node:path";
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
let host: string;

before(async () => {
  [tokens, open] = await Promise.all([
    startTokenRegistry(work.path, { alice: "token-s3cret" }),
    startRegistry(),
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
  await Promise.all([tokens?.stop(), open?.stop()]);
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

  test("a token the registry refuses is named, never printed", async () => {
    const token = `${tokens.mint([{ repository: "app/demo", actions: ["pull"] }])}x`;
    const out = await runCliAsync(["ls", "--registry-token", token, `${host}/app/demo`]);
    assert.equal(out.status, 2);
    assert.match(out.stderr, /the bearer token from --registry-token was refused/);
    assert.doesNotMatch(out.stdout + out.stderr, new RegExp(token.slice(0, 40)));
    assert.equal(hasStackTrace(out.stderr), false);
  });

  test("copy takes a token per side: pull on the source, push on the destination", async () => {
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
