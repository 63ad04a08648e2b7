// What undici reads from node:http when it loads (lib/core/util.js, lib/dispatcher/client.js):
// `IncomingMessage`, to spot a server request used as a request body, and `maxHeaderSize`, the
// default header limit. The real module brings the HTTP client, server and agent, which ocicompat
// never uses with undici (about 3 ms of every registry command). `IncomingMessage` comes from its
// own module, so the class compared is the very one node:http exports. `maxHeaderSize` is Node's
// `--max-http-header-size`, 16 KiB unless set; when the option is given (on the command line or
// in NODE_OPTIONS), the real module answers. A test compares both with node:http's. Used by
// scripts/bundle-cli.mjs.
"use strict";

const { IncomingMessage } = require("_http_incoming");

const DEFAULT_MAX_HEADER_SIZE = 16 * 1024;

function headerSizeOptionGiven() {
  const given = (arg) => arg.startsWith("--max-http-header-size");
  return process.execArgv.some(given) || (process.env.NODE_OPTIONS ?? "").split(/\s+/).some(given);
}

module.exports = {
  IncomingMessage,
  get maxHeaderSize() {
    return headerSizeOptionGiven() ? require("node:http").maxHeaderSize : DEFAULT_MAX_HEADER_SIZE;
  },
};
