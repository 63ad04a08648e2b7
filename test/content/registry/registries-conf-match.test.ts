// Matching image names to registries.conf entries and choosing their pull sources, as
// containers/image's refMatchingPrefix, FindRegistry and PullSourcesFromReference do.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseRegistriesConf } from "../../../src/content/registry/registries-conf.js";
import {
  findRegistry,
  pullSources,
  refMatchingPrefix,
} from "../../../src/content/registry/registries-conf-match.js";

const FILE = "/etc/containers/registries.conf";

/** The pull source names for `name` under `conf`'s matching entry. */
function sourceNames(conf: string, name: string, digested: boolean): string[] {
  const parsed = parseRegistriesConf(conf, FILE);
  return pullSources(findRegistry(parsed, name), name, digested).map((source) => source.name);
}

describe("prefix matching (refMatchingPrefix)", () => {
  const table: [name: string, prefix: string, matched: number][] = [
    ["example.com", "example.com", 11],
    ["example.com/foo", "example.com", 11],
    ["example.com:5000/foo", "example.com", 11],
    ["example.com@sha256", "example.com", 11],
    ["example.community/foo", "example.com", -1],
    ["example.co", "example.com", -1],
    ["example.com/foobar", "example.com/foo", -1],
    ["example.com/foo/bar", "example.com/foo", 15],
    ["a.example.com/x", "*.example.com", 13],
    ["a.b.example.com", "*.example.com", 15],
    ["a.example.com:5000/x", "*.example.com", 13],
    ["example.com", "*.example.com", -1],
    ["example.com/x", "*.example.com", -1],
    ["foo.com/a.example.com", "*.example.com", -1],
    ["a.example.community", "*.example.com", -1],
  ];

  test("each name matches its prefix only at a :, / or @ boundary, for the length given", () => {
    for (const [name, prefix, matched] of table) {
      assert.equal(refMatchingPrefix(name, prefix), matched, `${name} vs ${prefix}`);
    }
  });
});

describe("findRegistry", () => {
  const conf = parseRegistriesConf(
    `
[[registry]]
location = "example.com"
[[registry]]
location = "example.com/foo"
[[registry]]
prefix = "*.example.com"
blocked = true
[[registry]]
prefix = "*.sub.example.com"
`,
    FILE,
  );

  test("the longest matching prefix wins", () => {
    assert.equal(findRegistry(conf, "example.com/foo/bar")?.prefix, "example.com/foo");
    assert.equal(findRegistry(conf, "example.com/foobar")?.prefix, "example.com");
    assert.equal(findRegistry(conf, "a.example.com/img")?.prefix, "*.example.com");
    assert.equal(findRegistry(conf, "a.sub.example.com/img")?.prefix, "*.sub.example.com");
  });

  test("a name no prefix matches has no entry", () => {
    assert.equal(findRegistry(conf, "example.community/img"), undefined);
    assert.equal(findRegistry(conf, "quay.io/img"), undefined);
    assert.equal(findRegistry({ registries: [] }, "quay.io/img"), undefined);
  });
});

describe("pullSources", () => {
  const mirrored = (entryKeys: string, ...mirrors: string[]): string =>
    `[[registry]]\nlocation = "r.com"\n${entryKeys}\n` +
    mirrors.map((m) => `[[registry.mirror]]\n${m}\n`).join("");

  test("without mirror restrictions every mirror comes first, in order, then the primary", () => {
    const conf = mirrored("", `location = "m1.local"`, `location = "m2.local/cache"`);
    const expected = ["m1.local/img", "m2.local/cache/img", "r.com/img"];
    assert.deepEqual(sourceNames(conf, "r.com/img", false), expected);
    assert.deepEqual(sourceNames(conf, "r.com/img", true), expected);
  });

  test("mirror-by-digest-only keeps tag pulls on the primary and lets digest pulls use mirrors", () => {
    const conf = mirrored("mirror-by-digest-only = true", `location = "m1.local"`);
    assert.deepEqual(sourceNames(conf, "r.com/img", false), ["r.com/img"]);
    assert.deepEqual(sourceNames(conf, "r.com/img", true), ["m1.local/img", "r.com/img"]);
  });

  test("per-mirror digest-only and tag-only mirrors serve only their kind of reference", () => {
    const conf = mirrored(
      "",
      `location = "digests.local"\npull-from-mirror = "digest-only"`,
      `location = "tags.local"\npull-from-mirror = "tag-only"`,
      `location = "both.local"\npull-from-mirror = "all"`,
    );
    assert.deepEqual(sourceNames(conf, "r.com/img", false), [
      "tags.local/img",
      "both.local/img",
      "r.com/img",
    ]);
    assert.deepEqual(sourceNames(conf, "r.com/img", true), [
      "digests.local/img",
      "both.local/img",
      "r.com/img",
    ]);
  });

  test("sources say which endpoint they come from and whether it is a mirror", () => {
    const conf = parseRegistriesConf(
      mirrored(`insecure = true`, `location = "m1.local"\ninsecure = true`),
      FILE,
    );
    const sources = pullSources(findRegistry(conf, "r.com/img"), "r.com/img", false);
    assert.deepEqual(sources, [
      { name: "m1.local/img", endpoint: { location: "m1.local", insecure: true }, mirror: true },
      { name: "r.com/img", endpoint: { location: "r.com", insecure: true }, mirror: false },
    ]);
  });

  test("the prefix is rewritten to the location", () => {
    const conf = `[[registry]]\nprefix = "example.com/foo"\nlocation = "internal.example.com/bar"\n`;
    assert.deepEqual(sourceNames(conf, "example.com/foo/img", false), [
      "internal.example.com/bar/img",
    ]);
    assert.deepEqual(sourceNames(conf, "example.com/foo", false), ["internal.example.com/bar"]);
  });

  test("a wildcard primary keeps the name; its mirrors replace the matched host", () => {
    const conf = `[[registry]]\nprefix = "*.example.com"\n[[registry.mirror]]\nlocation = "mirror.local/x"\n`;
    assert.deepEqual(sourceNames(conf, "a.example.com/foo", false), [
      "mirror.local/x/foo",
      "a.example.com/foo",
    ]);
    const parsed = parseRegistriesConf(conf, FILE);
    const primary = pullSources(
      findRegistry(parsed, "a.example.com/foo"),
      "a.example.com/foo",
      true,
    ).at(-1);
    assert.deepEqual(primary?.endpoint, { location: "", insecure: false });
  });

  test("a name without an entry is pulled from its own host, securely", () => {
    assert.deepEqual(pullSources(undefined, "quay.io:443/org/img", true), [
      {
        name: "quay.io:443/org/img",
        endpoint: { location: "quay.io:443", insecure: false },
        mirror: false,
      },
    ]);
  });

  test("an entry that does not match the name is an internal error naming both", () => {
    const conf = parseRegistriesConf(`[[registry]]\nlocation = "r.com"\n`, FILE);
    assert.throws(
      () => pullSources(conf.registries[0], "other.com/img", false),
      (err: unknown) => {
        assert.ok(err instanceof Error && "code" in err && err.code === "INTERNAL");
        assert.match(err.message, /prefix "r.com" does not match "other.com\/img"/);
        return true;
      },
    );
  });
});
