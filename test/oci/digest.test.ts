import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  computeDigest,
  createDigester,
  digestProblem,
  parseDigest,
  verifyContent,
} from "../../src/oci/digest.js";
import { isOcicompatError } from "../../src/oci/errors.js";

const hex64 = "a".repeat(64);

describe("digest grammar", () => {
  const valid = [
    `sha256:${hex64}`,
    `sha512:${"0123456789abcdef".repeat(8)}`,
    "blake3:abc",
    "multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8",
    "sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564",
    "a.b_c-d:x=y",
  ];
  for (const d of valid)
    test(`accepts ${d.slice(0, 40)}`, () => assert.equal(digestProblem(d), undefined));

  const invalid: [string, RegExp][] = [
    ["", /not a digest/],
    ["sha256", /not a digest/],
    [`sha256:${hex64.toUpperCase()}`, /64 lowercase hex/],
    [`sha256:${hex64.slice(1)}`, /got 63 characters/],
    [`sha512:${hex64}`, /128 lowercase hex/],
    [`SHA256:${hex64}`, /digest grammar/],
    ["sha256:", /digest grammar/],
    [":abc", /digest grammar/],
    ["sha256:abc def", /digest grammar/],
    ["sha256::abc", /digest grammar/],
    ["sha-:abc", /digest grammar/],
  ];
  for (const [d, reason] of invalid) {
    test(`rejects ${JSON.stringify(d)} with a reason`, () =>
      assert.match(digestProblem(d) ?? "", reason));
  }

  test("parseDigest splits the algorithm and says whether it is registered", () => {
    assert.deepEqual(parseDigest(`sha256:${hex64}`), {
      algorithm: "sha256",
      encoded: hex64,
      registered: true,
    });
    assert.deepEqual(parseDigest("blake3:abc"), {
      algorithm: "blake3",
      encoded: "abc",
      registered: false,
    });
  });

  test("parseDigest throws INVALID_DIGEST naming the value", () => {
    assert.throws(
      () => parseDigest("nope"),
      (e: unknown) => isOcicompatError(e) && e.code === "INVALID_DIGEST" && e.subject === "nope",
    );
  });
});

describe("computing and verifying", () => {
  test("computes the well-known digest of the empty JSON object", () => {
    assert.equal(
      computeDigest(new TextEncoder().encode("{}")),
      "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
    );
  });

  test("streamed hashing equals one-shot hashing for any split", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 512 }),
        fc.nat(512),
        fc.constantFrom("sha256", "sha512" as const),
        (bytes, cut, alg) => {
          const d = createDigester(alg);
          const at = Math.min(cut, bytes.length);
          d.update(bytes.subarray(0, at));
          d.update(bytes.subarray(at));
          assert.equal(d.digest(), computeDigest(bytes, alg));
        },
      ),
    );
  });

  test("verifyContent accepts the right bytes and rejects a flipped byte", () => {
    const bytes = new TextEncoder().encode("hello");
    const digest = computeDigest(bytes);
    verifyContent(bytes, { digest, size: 5 });
    const flipped = Uint8Array.from(bytes);
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    assert.throws(
      () => verifyContent(flipped, { digest, size: 5 }),
      (e: unknown) => isOcicompatError(e) && e.code === "DIGEST_MISMATCH",
    );
  });

  test("verifyContent rejects a size mismatch before hashing", () => {
    const bytes = new TextEncoder().encode("hello");
    assert.throws(
      () => verifyContent(bytes, { digest: computeDigest(bytes), size: 4 }),
      (e: unknown) => isOcicompatError(e) && e.code === "SIZE_MISMATCH",
    );
  });

  test("verifyContent refuses to vouch for an algorithm it cannot compute", () => {
    assert.throws(
      () => verifyContent(new Uint8Array(), { digest: "blake3:abc" }),
      (e: unknown) => isOcicompatError(e) && e.code === "UNSUPPORTED",
    );
  });
});
