// The requests a floor program sends: FLOOR_REQUESTS, a JSON list of [method, url] in the order
// a warm `ocicompat select` sent them (bench/select.bench.ts records them). The first is sent
// alone (the tag), the rest at once, as select does.
"use strict";

const ACCEPT = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

function floorRequests() {
  const list = JSON.parse(process.env.FLOOR_REQUESTS ?? "[]");
  if (!Array.isArray(list) || list.length === 0) throw new Error("FLOOR_REQUESTS is empty");
  return list.map(([method, url]) => ({ method, url: new URL(url), headers: { accept: ACCEPT } }));
}

/** Sends the first request, reads its body, then the rest at once; fails on any non-2xx. */
async function sendAll(send) {
  const [first, ...rest] = floorRequests();
  const check = (req, status) => {
    if (status < 200 || status > 299) throw new Error(`${req.method} ${req.url}: ${status}`);
  };
  check(first, await send(first));
  await Promise.all(rest.map(async (req) => check(req, await send(req))));
}

module.exports = { sendAll };
