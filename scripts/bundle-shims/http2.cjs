// What undici's HTTP/2 client (lib/dispatcher/client-h2.js) reads from node:http2 when it loads,
// without loading node:http2 (about 7 ms of every start): the constants it destructures at the
// top of the file, and `connect`, which loads the real module on the first HTTP/2 connection.
// ocicompat never enables HTTP/2 (undici's allowH2 is off), so that never happens; a test checks
// these constants against node:http2's own. Used by scripts/bundle-cli.mjs.
"use strict";

module.exports = {
  constants: {
    HTTP2_HEADER_AUTHORITY: ":authority",
    HTTP2_HEADER_METHOD: ":method",
    HTTP2_HEADER_PATH: ":path",
    HTTP2_HEADER_SCHEME: ":scheme",
    HTTP2_HEADER_CONTENT_LENGTH: "content-length",
    HTTP2_HEADER_EXPECT: "expect",
    HTTP2_HEADER_STATUS: ":status",
    HTTP2_HEADER_PROTOCOL: ":protocol",
    NGHTTP2_REFUSED_STREAM: 7,
    NGHTTP2_CANCEL: 8,
  },
  connect: (...args) => require("node:http2").connect(...args),
};
