// The node:http floor: the requests of a warm select (requests.cjs) through Node's own HTTP client,
// with a keep-alive agent. What the same requests cost without undici.
"use strict";
const http = require("node:http");
const { sendAll } = require("./requests.cjs");

const agent = new http.Agent({ keepAlive: true });
function send(req) {
  return new Promise((resolve, reject) => {
    const r = http.request(req.url, { method: req.method, headers: req.headers, agent }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
      res.on("error", reject);
    });
    r.on("error", reject);
    r.end();
  });
}
sendAll(send).then(
  () => agent.destroy(),
  (err) => {
    process.stderr.write(`${err.message}\n`);
    process.exitCode = 2;
    agent.destroy();
  },
);
