// The bearer-token flow against the real distribution registry's token auth, which verifies every
// token (issuer, audience, lifetime, signature, and the access it grants). The token service is
// the test's (test/support/token-service.ts): distribution ships none. The in-test fake of
// token.test.ts still covers what no real registry does on demand (redirects to other origins, a
// realm on another host, answers without a token).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { staticCredentials, type Credential } from "../../../src/content/auth/credentials.js";
import { createRegistryStore } from "../../../src/content/registry/index.js";
import { isOcicompatError } from "../../../src/oci/errors.js";
import { MediaType } from "../../../src/oci/media-types.js";
import { blob, sampleImage, tempDir } from "../layout-support.js";
import { pushGraph } from "../../ops/select-support.js";
import { startTokenRegistry, type TokenRegistry } from "../../support/token-service.js";

const work = tempDir("ocicompat-token-registry-");
const image = sampleImage("token-registry");
let service: TokenRegistry;

before(async () => {
  service = await startTokenRegistry(work.path, {
    users: { alice: "alice-pw", reader: "reader-pw" },
    refreshTokens: { "refresh-of-alice": "alice" },
    // `reader` may pull anything and push nothing.
    grant: (user, access) =>
      user === "reader" ? access.actions.filter((a) => a === "pull") : access.actions,
    lifetime: 2,
  });
  const store = storeAs({ username: "alice", password: "alice-pw" });
  try {
    await pushGraph(store, image.blobs, image.index.desc, "v1");
  } finally {
    await store.close();
  }
});

after(async () => {
  await service?.stop();
  work.remove();
});

function storeAs(credential: Credential | { username: string; password: string } | undefined) {
  return createRegistryStore({
    registry: service.registry.host,
    repository: "team/app",
    ...(credential === undefined ? {} : { credentials: staticCredentials(credential) }),
  });
}

function rejectsWith(code: string, message: RegExp) {
  return (err: unknown) => {
    assert.ok(isOcicompatError(err), String(err));
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  };
}

describe("bearer tokens on the real registry (distribution 2.8, token auth)", () => {
  test("a user's password buys a pull token, reused for every later read in its scope", async () => {
    const store = storeAs({ username: "alice", password: "alice-pw" });
    const before = service.requests.length;
    try {
      assert.equal((await store.resolve("v1")).digest, image.index.desc.digest);
      await store.listTags();
      await store.resolve("v1");
      const asked = service.requests.slice(before);
      assert.deepEqual(asked, [["repository:team/app:pull"]]);
      assert.deepEqual(service.callers.slice(before), ["basic:alice"]);
    } finally {
      await store.close();
    }
  });

  test("a push asks for pull,push and the registry takes the blob", async () => {
    const store = storeAs({ username: "alice", password: "alice-pw" });
    const before = service.requests.length;
    try {
      const extra = blob(MediaType.ImageLayerGzip, Buffer.from("pushed with a token"));
      await store.push(extra.desc, extra.bytes);
      assert.equal(await store.exists(extra.desc), true);
      assert.ok(
        service.requests.slice(before).some((s) => s.includes("repository:team/app:pull,push")),
        JSON.stringify(service.requests.slice(before)),
      );
    } finally {
      await store.close();
    }
  });

  test("an identity token is exchanged with the refresh_token form, without a password", async () => {
    const store = storeAs({ kind: "identity-token", token: "refresh-of-alice" });
    const before = service.callers.length;
    try {
      assert.equal((await store.resolve("v1")).digest, image.index.desc.digest);
      assert.deepEqual(service.callers.slice(before), ["refresh:alice"]);
    } finally {
      await store.close();
    }
  });

  test("a token past its lifetime is replaced by a new one, and the read goes on", async () => {
    const store = storeAs({ username: "alice", password: "alice-pw" });
    const before = service.requests.length;
    try {
      await store.resolve("v1");
      await new Promise((r) => setTimeout(r, 2100));
      assert.equal((await store.resolve("v1")).digest, image.index.desc.digest);
      assert.equal(service.requests.length - before, 2);
    } finally {
      await store.close();
    }
  });

  test("what the service did not grant is an AUTH error naming the scope, from the registry's own check", async () => {
    const store = storeAs({ username: "reader", password: "reader-pw" });
    try {
      assert.equal((await store.resolve("v1")).digest, image.index.desc.digest);
      const extra = blob(MediaType.ImageLayerGzip, Buffer.from("a reader may not push"));
      await assert.rejects(
        store.push(extra.desc, extra.bytes),
        // The registry's challenge names the actions in either order (distribution builds it from
        // a map): the message quotes it as given.
        rejectsWith(
          "AUTH",
          /repository:team\/app:(pull,push|push,pull) was not granted \(user "reader"\)/,
        ),
      );
    } finally {
      await store.close();
    }
  });

  test("wrong or missing credentials are AUTH errors, the password never in them", async () => {
    const wrong = storeAs({ username: "alice", password: "not-her-pw" });
    try {
      await assert.rejects(wrong.resolve("v1"), (err: unknown) => {
        rejectsWith("AUTH", /alice/)(err);
        assert.doesNotMatch(String((err as Error).message), /not-her-pw/);
        return true;
      });
    } finally {
      await wrong.close();
    }
    const none = storeAs(undefined);
    try {
      await assert.rejects(none.resolve("v1"), rejectsWith("AUTH", /authentication required/));
    } finally {
      await none.close();
    }
  });
});
