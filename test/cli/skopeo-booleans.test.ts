// skopeo's `--tls-verify=V` spellings rewritten to the --X / --no-X pair commander reads.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { skopeoBooleanFlags, skopeoGlobalFlags } from "../../src/cli/skopeo-booleans.js";
import { isOcicompatError } from "../../src/oci/errors.js";

describe("skopeo's boolean flags", () => {
  test("Go's spellings of true and false become the flag and its --no- form, for each side", () => {
    assert.deepEqual(
      skopeoBooleanFlags([
        "copy",
        "--tls-verify=FALSE",
        "--src-tls-verify=1",
        "--dest-tls-verify=f",
        "a",
        "b",
      ]),
      ["copy", "--no-tls-verify", "--src-tls-verify", "--no-dest-tls-verify", "a", "b"],
    );
  });

  test("the flag alone and other flags are left as they are, and nothing after -- is touched", () => {
    const argv = ["ls", "--tls-verify", "reg/app", "--", "--tls-verify=false"];
    assert.deepEqual(skopeoBooleanFlags(argv), argv);
  });

  test("another value is a usage error naming the flag", () => {
    assert.throws(
      () => skopeoBooleanFlags(["ls", "--dest-tls-verify=yes"]),
      (err: unknown) =>
        isOcicompatError(err) &&
        err.code === "USAGE" &&
        err.message === '--dest-tls-verify takes true or false, not "yes"',
    );
  });
});

describe("skopeo's global options before the command", () => {
  test("move after the command name, under ocicompat's names", () => {
    assert.deepEqual(
      skopeoGlobalFlags([
        "--insecure-policy",
        "--command-timeout",
        "2m",
        "--policy=/etc/p.json",
        "copy",
        "a",
        "b",
      ]),
      ["copy", "--insecure-policy", "--timeout", "2m", "--policy=/etc/p.json", "a", "b"],
    );
    assert.deepEqual(skopeoGlobalFlags(["--insecure-policy=false", "copy", "a", "b"]), [
      "copy",
      "a",
      "b",
    ]);
  });

  test("anything else is left as it is: no command after them, other options, a bad value", () => {
    for (const argv of [
      ["copy", "--insecure-policy", "a", "b"],
      ["--insecure-policy"],
      ["--policy"],
      ["--insecure-policy", "--help"],
      ["--version"],
      ["--insecure-policy=maybe", "copy", "a", "b"],
      ["--debug", "copy", "a", "b"],
    ]) {
      assert.deepEqual(skopeoGlobalFlags(argv), argv, argv.join(" "));
    }
  });
});
