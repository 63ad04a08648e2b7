// parseIJson and parseIJsonText on the document as a whole: formatJsonPath (the paths errors
// name), the bytes, size and digest handed back, the size limit, UTF-8 and byte order marks, and
// the nesting depth.
import { formatJsonPath } from "../../src/oci/json-path.js";
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_DEPTH,
  parseIJson,
  parseIJsonText,
} from "../../src/oci/ijson.js";
import { failure, textFailure, utf8 } from "./ijson-support.js";

describe("formatJsonPath", () => {
  test("renders the empty path as $", () => {
    assert.equal(formatJsonPath([]), "$");
  });

  test("uses dots for identifier keys and brackets for indices", () => {
    assert.equal(formatJsonPath(["manifests", 2, "digest"]), "$.manifests[2].digest");
    assert.equal(formatJsonPath(["_a1", 0, 10]), "$._a1[0][10]");
  });

  test("quotes keys that are not identifiers as JSON strings", () => {
    assert.equal(formatJsonPath(["platform", "os.features"]), '$.platform["os.features"]');
    assert.equal(formatJsonPath(["1a", "", 'q"']), '$["1a"][""]["q\\""]');
  });
});

describe("parseIJson", () => {
  const index = {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [
      {
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        digest: `sha256:${"a".repeat(64)}`,
        size: 7143,
        platform: { architecture: "arm64", os: "linux", variant: "v8", "os.features": [] },
        annotations: { "org.opencontainers.image.title": "naïve — café ☕ 😀" },
      },
    ],
  };

  test("parses an image index to the same value as JSON.parse", () => {
    const text = JSON.stringify(index, null, 2);
    assert.deepEqual(parseIJson(utf8(text)).value, JSON.parse(text));
  });

  test("returns the very bytes it was given, their size and their sha256 digest", () => {
    const bytes = utf8(JSON.stringify(index));
    const doc = parseIJson(bytes);
    assert.equal(doc.bytes, bytes);
    assert.equal(doc.size, bytes.byteLength);
    const expected = createHash("sha256").update(bytes).digest("hex");
    assert.equal(doc.digest, `sha256:${expected}`);
  });

  test("reads a Uint8Array view that starts inside a larger buffer", () => {
    const whole = utf8('xx{"a":[1,2]}yy');
    const view = whole.subarray(2, whole.length - 2);
    assert.deepEqual(parseIJson(view).value, { a: [1, 2] });
  });

  test("exports the documented defaults", () => {
    assert.equal(DEFAULT_MAX_BYTES, 4 * 1024 * 1024);
    assert.equal(DEFAULT_MAX_DEPTH, 1000);
  });
});

describe("size limit", () => {
  test("rejects a 100 MB buffer as TOO_LARGE without reading it", () => {
    const bytes = Buffer.alloc(100 * 1024 * 1024);
    const started = performance.now();
    const err = failure(() => parseIJson(bytes), "TOO_LARGE");
    const elapsed = performance.now() - started;
    assert.equal(err.message, "document is 104857600 bytes; the limit is 4194304 bytes (4 MiB)");
    assert.ok(elapsed < 50, `took ${elapsed} ms`);
  });

  test("accepts a document of exactly maxBytes and rejects one byte more", () => {
    assert.deepEqual(parseIJson(utf8("[1]"), { maxBytes: 3 }).value, [1]);
    const err = failure(() => parseIJson(utf8("[10]"), { maxBytes: 3 }), "TOO_LARGE");
    assert.equal(err.message, "document is 4 bytes; the limit is 3 bytes");
  });

  test("measures decoded text in UTF-8 bytes against maxBytes", () => {
    // "é" is one UTF-16 unit but two UTF-8 bytes: 4 characters, 5 bytes.
    assert.equal(parseIJsonText('"é"', { maxBytes: 4 }), "é");
    failure(() => parseIJsonText('"éé"', { maxBytes: 5 }), "TOO_LARGE");
    failure(() => parseIJsonText("[" + "0,".repeat(100) + "0]", { maxBytes: 100 }), "TOO_LARGE");
  });

  test("names a non-round limit in KiB", () => {
    const err = failure(() => parseIJson(Buffer.alloc(3000), { maxBytes: 1536 }), "TOO_LARGE");
    assert.equal(err.message, "document is 3000 bytes; the limit is 1536 bytes (1.5 KiB)");
  });
});

describe("encoding", () => {
  test("rejects invalid UTF-8 and names the byte offset", () => {
    const bytes = Uint8Array.from([...utf8('{"a":"xy'), 0xff, ...utf8('"}')]);
    const err = failure(() => parseIJson(bytes));
    assert.match(err.message, /invalid UTF-8 at byte offset 8\b/);
  });

  test("names the offset of a truncated, overlong or surrogate sequence", () => {
    const cases: [number[], number][] = [
      [[0x22, 0x61, 0xc3], 2], // "a then half of a two-byte sequence
      [[0x22, 0xc0, 0xaf, 0x22], 1], // overlong "/"
      [[0x22, 0x61, 0x62, 0xed, 0xa0, 0x80, 0x22], 3], // UTF-8 encoded U+D800
      [[0x22, 0xf4, 0x90, 0x80, 0x80, 0x22], 1], // above U+10FFFF
      [[0x22, 0xe2, 0x82, 0xac, 0x80, 0x22], 4], // stray continuation after a valid euro sign
    ];
    for (const [bytes, offset] of cases) {
      const err = failure(() => parseIJson(Uint8Array.from(bytes)));
      assert.match(err.message, new RegExp(`byte offset ${offset}\\b`), err.message);
    }
  });

  test("rejects a UTF-8 byte order mark", () => {
    const err = failure(() => parseIJson(Uint8Array.from([0xef, 0xbb, 0xbf, ...utf8("{}")])));
    assert.equal(err.message, "byte order mark is not allowed in I-JSON");
  });

  test("rejects a byte order mark at the start of decoded text", () => {
    assert.equal(textFailure("\uFEFF{}").message, "byte order mark is not allowed in I-JSON");
  });

  test("rejects a raw lone surrogate in decoded text", () => {
    const err = textFailure('["ok", "\uD800"]');
    assert.match(err.message, /lone surrogate U\+D800/);
    assert.match(err.message, /line 1, column 9/);
  });
});

describe("nesting depth", () => {
  test("accepts nesting of exactly maxDepth levels", () => {
    const text = "[".repeat(DEFAULT_MAX_DEPTH) + "]".repeat(DEFAULT_MAX_DEPTH);
    assert.ok(Array.isArray(parseIJsonText(text)));
  });

  test("rejects 100,000 nested arrays without overflowing the stack", () => {
    const err = textFailure("[".repeat(100_000));
    assert.equal(err.message, "nesting deeper than 1000 levels at line 1, column 1001");
  });

  test("rejects 100,000 nested objects without overflowing the stack", () => {
    assert.match(textFailure('{"a":'.repeat(100_000)).message, /^nesting deeper than 1000/);
  });

  test("honours a smaller maxDepth, counting empty containers too", () => {
    assert.deepEqual(parseIJsonText("[[]]", { maxDepth: 2 }), [[]]);
    assert.match(textFailure("[[{}]]", { maxDepth: 2 }).message, /deeper than 2 levels/);
  });

  test("parses 100,000 levels when the caller allows them", () => {
    const depth = 100_000;
    const text = "[".repeat(depth) + "]".repeat(depth);
    let value = parseIJsonText(text, { maxDepth: Infinity });
    let levels = 0;
    while (Array.isArray(value)) {
      levels++;
      value = value[0];
    }
    assert.equal(levels, depth);
  });
});
