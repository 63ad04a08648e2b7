import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ValidationError } from "../../src/oci/errors.js";
import {
  followableDescriptor,
  followedDescriptorIssues,
} from "../../src/oci/followed-descriptor.js";

const HEX = "a".repeat(64);
const good = {
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  digest: `sha256:${HEX}`,
  size: 10,
};

describe("descriptors that may be followed", () => {
  test("a well-formed sha256 descriptor has no issues", () => {
    assert.deepEqual(followedDescriptorIssues(good, "$.manifests[0]"), []);
    assert.equal(followableDescriptor(good, "$.manifests[0]", "index"), good);
  });

  const bad: [string, Record<string, unknown>, string, RegExp][] = [
    ["a short sha256", { digest: "sha256:abc" }, "$.m.digest", /64 lowercase hex/],
    ["upper-case hex", { digest: `sha256:${HEX.toUpperCase()}` }, "$.m.digest", /lowercase hex/],
    [
      "an md5 digest",
      { digest: "md5:d41d8cd98f00b204e9800998ecf8427e" },
      "$.m.digest",
      /cannot be verified/,
    ],
    ["64 hex under sha512", { digest: `sha512:${HEX}` }, "$.m.digest", /128 lowercase hex/],
    ["a 1 MB digest string", { digest: `sha256:${"a".repeat(1 << 20)}` }, "$.m.digest", /hex/],
    ["a size written as a string", { size: "100" }, "$.m.size", /non-negative integer/],
    ["a negative size", { size: -1 }, "$.m.size", /non-negative integer/],
    ["a fractional size", { size: 1.5 }, "$.m.size", /non-negative integer/],
    ["no media type", { mediaType: undefined }, "$.m.mediaType", /media type/],
  ];
  for (const [name, change, path, message] of bad) {
    test(`${name} is refused at ${path}`, () => {
      const issues = followedDescriptorIssues({ ...good, ...change }, "$.m");
      const hit = issues.find((i) => i.path === path);
      assert.ok(hit, JSON.stringify(issues));
      assert.match(hit.message, message);
      assert.ok(hit.message.length < 400, "the message clips what it quotes");
      assert.throws(
        () => followableDescriptor({ ...good, ...change }, "$.m", "sha256:index"),
        (err) => err instanceof ValidationError && err.subject === "sha256:index",
      );
    });
  }

  test("a value that is not an object is refused at its own path", () => {
    assert.deepEqual(followedDescriptorIssues("sha256:x", "$.config"), [
      { path: "$.config", message: "must be a descriptor object" },
    ]);
  });
});
