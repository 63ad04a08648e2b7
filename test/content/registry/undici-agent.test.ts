import assert from "node:assert/strict";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { RegistryClient } from "../../../src/content/registry/client.js";
import { Agent } from "../../../src/content/registry/undici-agent.js";

const require = createRequire(import.meta.url);
const undiciEntry = require.resolve("undici");

// The tests run in this order: the last one loads undici's entry point, which the others must not.
test("the registry client does not load undici's full entry point", () => {
  assert.equal(typeof RegistryClient, "function");
  assert.ok(require.cache[require.resolve("undici/lib/dispatcher/agent.js")], "agent.js is loaded");
  assert.equal(require.cache[undiciEntry], undefined, `${undiciEntry} was loaded`);
});

test("the directly loaded undici Agent sends a request and reads the body", async () => {
  const server = createServer((req, res) => {
    res.setHeader("content-type", "text/plain");
    res.end(`${req.method} ${req.url}`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const agent = new Agent();
  try {
    const { port } = server.address() as AddressInfo;
    const res = await agent.request({
      origin: `http://127.0.0.1:${port}`,
      path: "/v2/",
      method: "GET",
    });
    assert.equal(res.statusCode, 200);
    assert.equal(await res.body.text(), "GET /v2/");
    assert.equal(require.cache[undiciEntry], undefined);
  } finally {
    await agent.close();
    await new Promise((resolve) => server.close(resolve));
  }
});

test("the directly loaded undici Agent is the package's own class", async () => {
  const undici = await import("undici");
  assert.equal(Agent, undici.Agent);
});
