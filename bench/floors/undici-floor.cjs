// The undici floor: the requests of a warm select (requests.cjs) through undici, loaded as the CLI
// loads it (src/content/registry/undici-agent.ts: the Agent and its request API, not undici's
// entry point) and bundled with the CLI's stand-ins for Node built-ins. What any program that
// speaks to a registry with undici pays; bench/select.bench.ts runs it code-cached, as the CLI.
"use strict";
const api = require("undici/lib/api/index.js");
const Agent = require("undici/lib/dispatcher/agent.js");
const Dispatcher = require("undici/lib/dispatcher/dispatcher.js");
const { sendAll } = require("./requests.cjs");

Object.assign(Dispatcher.prototype, api);

const agent = new Agent({ connections: 16 });
sendAll(async (req) => {
  const res = await agent.request({
    origin: req.url.origin,
    path: req.url.pathname,
    method: req.method,
    headers: req.headers,
    ...(req.method === "HEAD" ? { reset: false } : {}),
  });
  await res.body.dump();
  return res.statusCode;
}).then(
  () => agent.close(),
  (err) => {
    process.stderr.write(`${err.message}\n`);
    process.exitCode = 2;
    return agent.close();
  },
);
