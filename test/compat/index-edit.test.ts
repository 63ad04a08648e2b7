// The byte-preserving index edit behind attach and detach: only the targeted entries'
// platform.compatibilities change; every other byte (entries, unknown fields, key order,
// whitespace) stays as it was.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  editCompatibilities,
  jsonEqual,
  platformFromConfig,
  wrapInIndex,
  type CompatibilitiesEdit,
} from "../../src/compat/index-edit.js";
import { computeDigest } from "../../src/oci/digest.js";
import { OcicompatError } from "../../src/oci/errors.js";
import { parseIJson } from "../../src/oci/ijson.js";
import { MediaType } from "../../src/oci/media-types.js";
import type { Descriptor } from "../../src/oci/schema.js";
import { validateOciDocument } from "../../src/oci/validate.js";

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString("utf8");
const hex = (c: string): string => c.repeat(64);

const A = `sha256:${hex("a")}`;
const B = `sha256:${hex("b")}`;
const C = `sha256:${hex("c")}`;
const D = `sha256:${hex("d")}`;
const compat: Descriptor = { mediaType: MediaType.ImageManifest, digest: C, size: 512 };
const compatJson = JSON.stringify(compat);

function parsed(bytes: Uint8Array): unknown {
  return parseIJson(bytes).value;
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof OcicompatError, String(err));
    return err.code;
  }
  assert.fail("expected an error");
}

const compact =
  `{"schemaVersion":2,"mediaType":"${MediaType.ImageIndex}","manifests":[` +
  `{"mediaType":"${MediaType.ImageManifest}","digest":"${A}","size":100,"platform":{"architecture":"amd64","os":"linux"}},` +
  `{"mediaType":"${MediaType.ImageManifest}","digest":"${B}","size":200,"platform":{"architecture":"arm64","os":"linux","variant":"v8"},"x-vendor":{"keep":[1,2,"}"]}}` +
  `],"x-top":"unknown fields stay"}`;

describe("editCompatibilities", () => {
  test("inserts the descriptor into one entry's platform, touching nothing else", () => {
    const result = editCompatibilities(utf8(compact), [{ entry: 0, compatibilities: compat }]);
    const expected = compact.replace(
      `"os":"linux"}},{`,
      `"os":"linux","compatibilities":${compatJson}}},{`,
    );
    assert.equal(text(result.bytes), expected);
    assert.equal(result.descriptor.digest, computeDigest(utf8(expected)));
    assert.equal(result.descriptor.size, utf8(expected).byteLength);
    assert.equal(result.descriptor.mediaType, MediaType.ImageIndex);
    assert.equal(result.changed, true);
    assert.deepEqual(result.previous.get(0), undefined);
  });

  test("spaces the new member like its neighbours in a pretty-printed index", () => {
    const pretty = JSON.stringify(JSON.parse(compact), null, 3);
    const result = editCompatibilities(utf8(pretty), [{ entry: 1, compatibilities: compat }]);
    const out = text(result.bytes);
    assert.ok(
      out.includes(`"variant": "v8",\n            "compatibilities": ${compatJson}\n         }`),
      out,
    );
    const [span] = result.spans;
    assert.ok(span);
    const before = utf8(pretty);
    assert.deepEqual(
      result.bytes.subarray(0, span.after.start),
      before.subarray(0, span.before.start),
    );
    assert.deepEqual(result.bytes.subarray(span.after.end), before.subarray(span.before.end));
  });

  test("re-attaching replaces the descriptor and removes a stale Proposal J compat", () => {
    const first = editCompatibilities(utf8(compact), [{ entry: 1, compatibilities: compat }]);
    const withCompat = text(first.bytes).replace(
      `"compatibilities":${compatJson}`,
      `"compat":{"mediaType":"${MediaType.Compatibilities}","digest":"${D}","size":9},"compatibilities":${compatJson}`,
    );
    const next: Descriptor = { mediaType: MediaType.Compatibilities, digest: D, size: 77 };
    const second = editCompatibilities(utf8(withCompat), [{ entry: 1, compatibilities: next }]);
    const expected = compact.replace(
      `"variant":"v8"}`,
      `"variant":"v8","compatibilities":${JSON.stringify(next)}}`,
    );
    assert.equal(text(second.bytes), expected);
    assert.deepEqual(
      second.previous.get(1)?.map((d) => d.digest),
      [C, D],
    );
  });

  test("removes compatibilities wherever the member sits (first, middle, last, only)", () => {
    const cases = [
      [
        `{"compatibilities":${compatJson},"architecture":"amd64","os":"linux"}`,
        `{"architecture":"amd64","os":"linux"}`,
      ],
      [
        `{"architecture":"amd64", "compatibilities" : ${compatJson} ,"os":"linux"}`,
        `{"architecture":"amd64" ,"os":"linux"}`,
      ],
      [
        `{"architecture":"amd64","os":"linux",\n  "compatibilities":${compatJson}\n}`,
        `{"architecture":"amd64","os":"linux"\n}`,
      ],
    ];
    for (const [platform, after] of cases) {
      const doc = `{"schemaVersion":2,"manifests":[{"mediaType":"${MediaType.ImageManifest}","digest":"${A}","size":1,"platform":${platform}}]}`;
      const result = editCompatibilities(utf8(doc), [{ entry: 0, compatibilities: null }]);
      assert.equal(text(result.bytes), doc.replace(platform as string, after as string));
      assert.equal(result.changed, true);
    }
  });

  test("removing what is not there changes nothing", () => {
    const result = editCompatibilities(utf8(compact), [{ entry: 0, compatibilities: null }]);
    assert.equal(result.changed, false);
    assert.equal(text(result.bytes), compact);
  });

  test("an entry without a platform gets one, from the caller", () => {
    const doc = `{"schemaVersion":2,"manifests":[{"mediaType":"${MediaType.ImageManifest}","digest":"${A}","size":1}]}`;
    assert.equal(
      code(() => editCompatibilities(utf8(doc), [{ entry: 0, compatibilities: compat }])),
      "USAGE",
    );
    const result = editCompatibilities(utf8(doc), [
      { entry: 0, compatibilities: compat, platform: { architecture: "amd64", os: "linux" } },
    ]);
    assert.equal(
      text(result.bytes),
      doc.replace(
        `"size":1}`,
        `"size":1,"platform":{"architecture":"amd64","os":"linux","compatibilities":${compatJson}}}`,
      ),
    );
  });

  test("several entries at once, with multi-byte text around them", () => {
    const doc = compact.replace(
      `"x-top":"unknown fields stay"`,
      `"annotations":{"note":"ünïcödé 🚀 \\" } ]"}`,
    );
    const edits: CompatibilitiesEdit[] = [
      { entry: 1, compatibilities: compat },
      { entry: 0, compatibilities: { ...compat, digest: D } },
    ];
    const result = editCompatibilities(utf8(doc), edits);
    assert.equal(result.spans.length, 2);
    const value = parsed(result.bytes) as { manifests: { platform: Record<string, unknown> }[] };
    assert.equal((value.manifests[0]?.platform["compatibilities"] as Descriptor).digest, D);
    assert.equal((value.manifests[1]?.platform["compatibilities"] as Descriptor).digest, C);
    assert.ok(text(result.bytes).endsWith(`"annotations":{"note":"ünïcödé 🚀 \\" } ]"}}`));
  });

  test("refuses invalid input, unknown entries and edits of one entry twice", () => {
    assert.equal(
      code(() => editCompatibilities(utf8(`{"schemaVersion":2}`), [])),
      "VALIDATION",
    );
    assert.equal(
      code(() =>
        editCompatibilities(utf8(`{"schemaVersion":2,"manifests":[],"manifests":[]}`), []),
      ),
      "INVALID_JSON",
    );
    assert.equal(
      code(() => editCompatibilities(utf8(compact), [{ entry: 2, compatibilities: compat }])),
      "USAGE",
    );
    assert.equal(
      code(() =>
        editCompatibilities(utf8(compact), [
          { entry: 0, compatibilities: compat },
          { entry: 0, compatibilities: null },
        ]),
      ),
      "USAGE",
    );
  });

  test("refuses a descriptor that would make the index invalid", () => {
    const bad = { mediaType: MediaType.ImageManifest, digest: "sha256:abc", size: 1 };
    assert.equal(
      code(() => editCompatibilities(utf8(compact), [{ entry: 0, compatibilities: bad }])),
      "VALIDATION",
    );
  });
});

describe("wrapping a single manifest", () => {
  test("the platform comes from the config: os, architecture, variant, os.version, os.features", () => {
    const platform = platformFromConfig({
      architecture: "amd64",
      os: "windows",
      "os.version": "10.0.20348.2402",
      "os.features": ["win32k"],
      variant: "",
      rootfs: {},
    });
    assert.deepEqual(platform, {
      architecture: "amd64",
      os: "windows",
      "os.version": "10.0.20348.2402",
      "os.features": ["win32k"],
    });
    assert.equal(platformFromConfig({ os: "linux" }), undefined);
    assert.deepEqual(platformFromConfig({ architecture: "arm", os: "linux", variant: "v7" }), {
      architecture: "arm",
      os: "linux",
      variant: "v7",
    });
  });

  test("a one-entry OCI index that validates", () => {
    const manifest = { mediaType: MediaType.ImageManifest, digest: A, size: 42 };
    const wrapped = wrapInIndex(manifest, { architecture: "amd64", os: "linux" });
    const value = parsed(wrapped.bytes);
    assert.deepEqual(value, {
      schemaVersion: 2,
      mediaType: MediaType.ImageIndex,
      manifests: [{ ...manifest, platform: { architecture: "amd64", os: "linux" } }],
    });
    assert.deepEqual(validateOciDocument("index", value).errors, []);
    assert.equal(wrapped.descriptor.digest, computeDigest(wrapped.bytes));
  });
});

// ---- property: only the one field changes ---------------------------------------------------

type Json = Record<string, unknown>;

/** Serialises JSON with whitespace drawn from `ws` between every token, keys in their order. */
function render(value: unknown, ws: () => string): string {
  if (Array.isArray(value)) {
    return `[${ws()}${value.map((v) => render(v, ws)).join(`${ws()},${ws()}`)}${ws()}]`;
  }
  if (value !== null && typeof value === "object") {
    const members = Object.entries(value as Json).map(
      ([k, v]) => `${JSON.stringify(k)}${ws()}:${ws()}${render(v, ws)}`,
    );
    return `{${ws()}${members.join(`${ws()},${ws()}`)}${ws()}}`;
  }
  return JSON.stringify(value);
}

const digestArb = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .map((b) => `sha256:${Buffer.from(b).toString("hex")}`);
const safeKey = fc.string({ maxLength: 8 }).filter((k) => k !== "__proto__");
const textArb = fc.string({ unit: "grapheme", maxLength: 12 });
const annotationsArb = fc.dictionary(safeKey, textArb, { maxKeys: 3 });
const descriptorArb = fc.record({
  mediaType: fc.constantFrom(MediaType.ImageManifest, MediaType.Compatibilities),
  digest: digestArb,
  size: fc.nat({ max: 1_000_000 }),
});
const platformArb = fc.record(
  {
    architecture: fc.constantFrom("amd64", "arm64", "s390x"),
    os: fc.constantFrom("linux", "windows"),
    variant: fc.constantFrom("v2", "v3", "v8"),
    features: fc.array(fc.constantFrom("avx2", "sse4", "bmi2"), { maxLength: 3 }),
    compatibilities: descriptorArb.map((d) => ({ ...d, mediaType: MediaType.ImageManifest })),
    compat: descriptorArb.map((d) => ({ ...d, mediaType: MediaType.Compatibilities })),
    "x-unknown": fc.jsonValue({ maxDepth: 2 }),
  },
  { requiredKeys: ["architecture", "os"] },
);
const entryArb = fc.record(
  {
    mediaType: fc.constant(MediaType.ImageManifest),
    digest: digestArb,
    size: fc.nat({ max: 1_000_000 }),
    annotations: annotationsArb,
    platform: platformArb,
  },
  { requiredKeys: ["mediaType", "digest", "size"] },
);
const indexArb = fc.record(
  {
    schemaVersion: fc.constant(2),
    mediaType: fc.constant(MediaType.ImageIndex),
    manifests: fc.array(entryArb, { minLength: 1, maxLength: 5 }),
    annotations: annotationsArb,
    "x-top": fc.jsonValue({ maxDepth: 2 }),
  },
  { requiredKeys: ["schemaVersion", "manifests"] },
);
const wsPool = fc.array(fc.constantFrom("", "", " ", "\n", "\n  ", "\t", "\r\n"), {
  minLength: 32,
  maxLength: 32,
});

describe("property: an edit changes exactly the targeted entry's compatibilities", () => {
  test("bytes outside the edited span are identical; the parsed result is the input with the field set", () => {
    fc.assert(
      fc.property(
        indexArb,
        wsPool,
        fc.nat(),
        fc.option(descriptorArb, { nil: null }),
        (index, pool, pick, descriptor) => {
          let i = 0;
          const input = utf8(render(index, () => pool[i++ % pool.length] ?? ""));
          const position = pick % index.manifests.length;
          const entry = index.manifests[position] as Json;
          const hasPlatform = entry["platform"] !== undefined;
          const edit: CompatibilitiesEdit = {
            entry: position,
            compatibilities: descriptor,
            ...(hasPlatform ? {} : { platform: { architecture: "amd64", os: "linux" } }),
          };
          const result = editCompatibilities(input, [edit]);

          // The parsed result is the parsed input with the one field set (or removed).
          const expected = structuredClone(parsed(input)) as { manifests: Json[] };
          const target = expected.manifests[position] as Json;
          if (hasPlatform) {
            const platform = target["platform"] as Json;
            delete platform["compat"];
            if (descriptor === null) delete platform["compatibilities"];
            else platform["compatibilities"] = descriptor;
          } else if (descriptor !== null) {
            target["platform"] = {
              architecture: "amd64",
              os: "linux",
              compatibilities: descriptor,
            };
          }
          assert.ok(jsonEqual(parsed(result.bytes), expected));
          assert.deepEqual(validateOciDocument("index", parsed(result.bytes)).errors, []);

          // Every byte before and after the edited span is the input's.
          for (const span of result.spans) {
            assert.deepEqual(
              Buffer.from(result.bytes.subarray(0, span.after.start)),
              Buffer.from(input.subarray(0, span.before.start)),
            );
            assert.deepEqual(
              Buffer.from(result.bytes.subarray(span.after.end)),
              Buffer.from(input.subarray(span.before.end)),
            );
          }
          if (!result.changed) assert.deepEqual(Buffer.from(result.bytes), Buffer.from(input));
          assert.equal(result.spans.length, result.changed ? 1 : 0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
