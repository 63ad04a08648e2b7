import assert from "node:assert/strict";
import { homedir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { defaultCacheDir } from "../../../src/content/cache/cache-dir.js";

describe("defaultCacheDir", () => {
  test("$OCICOMPAT_CACHE_DIR wins over $XDG_CACHE_HOME", () => {
    assert.equal(
      defaultCacheDir({ OCICOMPAT_CACHE_DIR: "/srv/ocicompat-cache", XDG_CACHE_HOME: "/xdg" }),
      "/srv/ocicompat-cache",
    );
  });

  test("$XDG_CACHE_HOME/ocicompat when $OCICOMPAT_CACHE_DIR is unset or empty", () => {
    assert.equal(defaultCacheDir({ XDG_CACHE_HOME: "/xdg" }), "/xdg/ocicompat");
    assert.equal(
      defaultCacheDir({ OCICOMPAT_CACHE_DIR: "", XDG_CACHE_HOME: "/xdg" }),
      "/xdg/ocicompat",
    );
  });

  test("~/.cache/ocicompat when neither is set, or $XDG_CACHE_HOME is relative (invalid per XDG)", () => {
    const home = join(homedir(), ".cache", "ocicompat");
    assert.equal(defaultCacheDir({}), home);
    assert.equal(defaultCacheDir({ XDG_CACHE_HOME: "" }), home);
    assert.equal(defaultCacheDir({ XDG_CACHE_HOME: "relative/cache" }), home);
  });
});
