// The mirror's configuration file and --listen: strict keys and types, named in every error.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import {
  checkMirrorConfig,
  loadMirrorConfig,
  parseListen,
} from "../../../src/ops/mirror/config.js";
import { tempDir } from "../../content/layout-support.js";

test("a YAML configuration file is read with every key it may hold", async () => {
  const dir = tempDir("ocicompat-mirror-config-");
  try {
    const file = join(dir.path, "mirror.yaml");
    writeFileSync(
      file,
      "listen: 127.0.0.1:6000\nupstreams: [registry.example, docker.io]\nonIncompatible: fail\ntimeout: 5s\ncacheBlobs: true\n",
    );
    assert.deepEqual(await loadMirrorConfig(file), {
      listen: "127.0.0.1:6000",
      upstreams: ["registry.example", "docker.io"],
      onIncompatible: "fail",
      timeout: "5s",
      cacheBlobs: true,
    });
  } finally {
    dir.remove();
  }
});

test("an unknown key or a wrong type is a VALIDATION error naming the file and the key", () => {
  assert.throws(
    () => checkMirrorConfig({ upstream: ["x"] }, "m.yaml"),
    (err: Error & { code?: string; subject?: string }) =>
      err.code === "VALIDATION" &&
      err.subject === "m.yaml" &&
      /\$\.upstream: unknown key/.test(err.message),
  );
  assert.throws(
    () => checkMirrorConfig({ onIncompatible: "maybe" }, "m.yaml"),
    /passthrough or fail/,
  );
  assert.throws(
    () => checkMirrorConfig({ upstreams: "docker.io" }, "m.yaml"),
    /list of non-empty strings/,
  );
  assert.throws(() => checkMirrorConfig(["not", "a", "mapping"], "m.yaml"), /must be a mapping/);
});

test("--listen takes ADDR:PORT, [v6]:PORT, :PORT and ADDR, and refuses the rest", () => {
  assert.deepEqual(parseListen("0.0.0.0:6000"), { host: "0.0.0.0", port: 6000 });
  assert.deepEqual(parseListen("[::1]:6000"), { host: "::1", port: 6000 });
  assert.deepEqual(parseListen(":6000"), { host: "127.0.0.1", port: 6000 });
  assert.deepEqual(parseListen("127.0.0.2"), { host: "127.0.0.2", port: 5090 });
  assert.throws(() => parseListen("host:99999"), /not ADDR:PORT/);
  assert.throws(() => parseListen("a:b:c"), /not ADDR:PORT/);
});
