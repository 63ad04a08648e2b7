// Closing a registry client at the end of a command, against the real CNCF distribution registry:
// idle connections go without a stack trace being formatted (Node reads the stack of the error a
// socket is destroyed with), and a body still being read is let finish.
import assert from "node:assert/strict";
import { Socket } from "node:net";
import { after, before, test } from "node:test";
import { RegistryClient } from "../../../src/content/registry/client.js";
import { createRegistryStore } from "../../../src/content/registry/store.js";
import {
  closeDispatcher,
  framelessDestroyedError,
  isIdle,
  Pool,
} from "../../../src/content/registry/undici-agent.js";
import { computeDigest } from "../../../src/oci/digest.js";
import { MediaType } from "../../../src/oci/media-types.js";
import { startRegistry, type TestRegistry } from "../../support/registry.js";
import { content, randomBytes, readStream } from "./helpers.js";

let registry: TestRegistry;
before(async () => {
  registry = await startRegistry();
});
after(async () => {
  await registry?.stop();
});

/** The errors sockets are destroyed with while `run` runs (Socket.prototype.destroy, wrapped). */
async function destroyErrors(run: () => Promise<void>): Promise<(Error | undefined)[]> {
  const errors: (Error | undefined)[] = [];
  const destroy = Socket.prototype.destroy;
  Socket.prototype.destroy = function (this: Socket, err?: Error) {
    errors.push(err);
    return destroy.call(this, err);
  };
  try {
    await run();
  } finally {
    Socket.prototype.destroy = destroy;
  }
  return errors;
}

test("the frameless error is undici's ClientDestroyedError, and its stack is one line", () => {
  const limit = Error.stackTraceLimit;
  const err = framelessDestroyedError() as Error & { code?: string };
  assert.equal(err.name, "ClientDestroyedError");
  assert.equal(err.code, "UND_ERR_DESTROYED");
  assert.equal(err.stack, "ClientDestroyedError: The client is destroyed");
  assert.equal(Error.stackTraceLimit, limit, "the stack trace limit is restored");
});

test("an idle client closes its connections with an error that has no stack frames", async () => {
  const client = new RegistryClient({ registry: registry.host });
  await client.ping();
  const errors = await destroyErrors(() => client.close());
  assert.ok(errors.length > 0, "the kept-alive connection was destroyed");
  for (const err of errors) {
    assert.ok(err !== undefined, "destroyed with undici's error, as its close() does");
    assert.equal(err.stack?.includes("\n    at "), false, `a stack with frames: ${err.stack}`);
  }
  await assert.rejects(client.ping(), "a closed client sends nothing");
});

test("a client closed while a blob is still being read lets the read finish", async () => {
  const client = new RegistryClient({ registry: registry.host });
  const store = createRegistryStore({ repository: "idle-close/busy", client });
  const blob = content(MediaType.ImageLayerGzip, randomBytes(4 * 1024 * 1024, 5));
  await store.push(blob.desc, blob.bytes);
  const body = await store.fetch(blob.desc);
  const closing = client.close();
  const bytes = await readStream(body);
  await closing;
  assert.equal(computeDigest(bytes), blob.desc.digest);
});

test("a pool is idle once a large body has been read, and then closes at once", async () => {
  const client = new RegistryClient({ registry: registry.host });
  const blob = content(MediaType.ImageLayerGzip, randomBytes(4 * 1024 * 1024, 6));
  await createRegistryStore({ repository: "idle-close/pool", client }).push(blob.desc, blob.bytes);
  await client.close();
  const pool = new Pool(registry.url);
  const res = await pool.request({
    path: `/v2/idle-close/pool/blobs/${blob.desc.digest}`,
    method: "GET",
  });
  assert.equal(isIdle(pool), false, "a body still arriving keeps its request running");
  assert.equal(computeDigest(await readStream(res.body)), blob.desc.digest);
  assert.equal(isIdle(pool), true);
  const errors = await destroyErrors(() => closeDispatcher(pool));
  assert.ok(errors.length > 0);
  assert.equal(pool.destroyed, true);
  for (const err of errors) assert.equal(err?.stack?.includes("\n    at "), false);
});
