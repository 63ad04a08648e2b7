// What commander (lib/command.js) reads from node:child_process: only `spawn`, for executable
// subcommands, which ocicompat does not have. Loading the real module at start costs every command
// about 3 ms (it brings net, dgram and more), so commander gets this stand-in, which loads
// node:child_process on the first call. Used by scripts/bundle-cli.mjs.
"use strict";

module.exports = {
  spawn: (...args) => require("node:child_process").spawn(...args),
};
