// registries.conf parsing and drop-in merging as containers/image's sysregistriesv2 does it: the
// v2 [[registry]] tables, the v1 lists converted, and a USAGE error naming file and entry for
// everything containers/image refuses.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  mergeRegistriesConf,
  parseRegistriesConf,
  type RegistriesConf,
} from "../../../src/content/registry/registries-conf.js";
import { OcicompatError } from "../../../src/oci/errors.js";

const FILE = "/etc/containers/registries.conf";

function parsed(text: string, options?: { dropIn?: boolean }): RegistriesConf {
  return parseRegistriesConf(text, FILE, options);
}

function prefixes(conf: RegistriesConf): string[] {
  return conf.registries.map((entry) => entry.prefix);
}

/** Asserts that parsing `text` throws a USAGE error naming the file and matching every pattern. */
function assertRefused(text: string, patterns: RegExp[], options?: { dropIn?: boolean }): void {
  assert.throws(
    () => parsed(text, options),
    (err: unknown) => {
      assert.ok(err instanceof OcicompatError, `expected an OcicompatError, got ${String(err)}`);
      assert.equal(err.code, "USAGE");
      assert.equal(err.subject, FILE);
      assert.ok(err.message.startsWith(`${FILE}: `), err.message);
      assert.ok(!err.message.includes("\n"), `one line: ${err.message}`);
      for (const pattern of patterns) assert.match(err.message, pattern);
      return true;
    },
  );
}

describe("v2 [[registry]] tables", () => {
  test("an entry with mirrors keeps every setting, mirrors in file order", () => {
    const conf = parsed(`
[[registry]]
prefix = "example.com/foo"
location = "internal.example.com/bar"
insecure = true
mirror-by-digest-only = false

[[registry.mirror]]
location = "mirror-1.local"
pull-from-mirror = "digest-only"

[[registry.mirror]]
location = "mirror-2.local:5000/cache"
insecure = true
`);
    assert.deepEqual(conf.registries, [
      {
        prefix: "example.com/foo",
        location: "internal.example.com/bar",
        insecure: true,
        blocked: false,
        mirrorByDigestOnly: false,
        mirrors: [
          { location: "mirror-1.local", insecure: false, pullFromMirror: "digest-only" },
          { location: "mirror-2.local:5000/cache", insecure: true },
        ],
        file: FILE,
      },
    ]);
  });

  test("prefix defaults to the location", () => {
    const conf = parsed(`[[registry]]\nlocation = "registry.example.com"\nblocked = true\n`);
    assert.equal(conf.registries[0]?.prefix, "registry.example.com");
    assert.equal(conf.registries[0]?.blocked, true);
  });

  test("trailing slashes are dropped from prefix, location and mirror locations", () => {
    const conf = parsed(`
[[registry]]
prefix = "example.com/foo//"
location = "internal.example.com/"
[[registry.mirror]]
location = "mirror.local///"
`);
    const entry = conf.registries[0];
    assert.equal(entry?.prefix, "example.com/foo");
    assert.equal(entry?.location, "internal.example.com");
    assert.equal(entry?.mirrors[0]?.location, "mirror.local");
  });

  test("a wildcard prefix may go without a location, which stays empty", () => {
    const conf = parsed(`[[registry]]\nprefix = "*.example.com"\nblocked = true\n`);
    assert.equal(conf.registries[0]?.prefix, "*.example.com");
    assert.equal(conf.registries[0]?.location, "");
  });

  test("of two entries with one prefix the first wins, silently", () => {
    const conf = parsed(`
[[registry]]
prefix = "example.com"
location = "first.example.com"
[[registry]]
prefix = "example.com"
location = "second.example.com"
`);
    assert.deepEqual(
      conf.registries.map((e) => e.location),
      ["first.example.com"],
    );
  });

  test("entries come out sorted by prefix", () => {
    const conf = parsed(`
[[registry]]
location = "quay.io"
[[registry]]
prefix = "*.example.com"
[[registry]]
location = "docker.io"
[[registry]]
location = "docker.io/library"
`);
    assert.deepEqual(prefixes(conf), [
      "*.example.com",
      "docker.io",
      "docker.io/library",
      "quay.io",
    ]);
  });

  test("one location behind several prefixes is fine when they agree on insecure and blocked", () => {
    const conf = parsed(`
[[registry]]
prefix = "a.example.com"
location = "shared.example.com"
insecure = true
[[registry]]
prefix = "b.example.com"
location = "shared.example.com"
insecure = true
`);
    assert.deepEqual(prefixes(conf), ["a.example.com", "b.example.com"]);
  });

  test("an empty file, or one of comments only, has no registries", () => {
    assert.deepEqual(parsed(""), { registries: [] });
    assert.deepEqual(parsed("# nothing here\n\n  # really\n"), { registries: [] });
  });

  test("credential-helpers is kept with the file that set it; an empty list is unset; a drop-in's list replaces", () => {
    const set = parsed(`credential-helpers = ["ecr-login", "containers-auth.json"]\n`);
    assert.deepEqual(set.credentialHelpers, {
      names: ["ecr-login", "containers-auth.json"],
      file: FILE,
    });
    assert.equal(parsed(`credential-helpers = []\n`).credentialHelpers, undefined);
    const dropIn = parseRegistriesConf(`credential-helpers = ["pass"]\n`, "/etc/d/1.conf", {
      dropIn: true,
    });
    assert.deepEqual(mergeRegistriesConf(set, dropIn).credentialHelpers, {
      names: ["pass"],
      file: "/etc/d/1.conf",
    });
    assert.deepEqual(
      mergeRegistriesConf(set, { registries: [] }).credentialHelpers,
      set.credentialHelpers,
    );
    assert.throws(() => parsed(`credential-helpers = "pass"\n`), /credential-helpers/);
  });

  test("the other top-level keys of the format are accepted and ignored", () => {
    const conf = parsed(`
unqualified-search-registries = ["docker.io", "quay.io"]
short-name-mode = "enforcing"
credential-helpers = ["containers-auth.json", "pass"]
additional-layer-store-auth-helper = "helper"
[aliases]
"fedora" = "registry.fedoraproject.org/fedora"
[[registry]]
location = "quay.io"
`);
    assert.deepEqual(prefixes(conf), ["quay.io"]);
  });

  test("unknown keys are ignored, as containers/image only logs them", () => {
    const conf = parsed(`
future-key = 3
[[registry]]
location = "quay.io"
colour = "blue"
[[registry.mirror]]
location = "mirror.local"
weight = 2
`);
    assert.equal(conf.registries[0]?.mirrors.length, 1);
  });

  test("keys match case-insensitively as in Go's TOML decoder, so Blocked still blocks", () => {
    const conf = parsed(`[[registry]]\nLocation = "quay.io"\nBlocked = true\n`);
    assert.equal(conf.registries[0]?.location, "quay.io");
    assert.equal(conf.registries[0]?.blocked, true);
  });
});

describe("refused v2 entries", () => {
  const entry = (body: string): string => `[[registry]]\n${body}\n`;

  test("a location with a URI scheme names the entry, the key and the value", () => {
    assertRefused(entry(`prefix = "example.com"\nlocation = "https://x"`), [
      /\[\[registry\]\] 1 \(prefix "example.com"\): location "https:\/\/x" must not have a URI scheme/,
    ]);
    assertRefused(entry(`prefix = "http://example.com"\nlocation = "x"`), [
      /prefix "http:\/\/example.com" must not have a URI scheme/,
    ]);
  });

  test("a wildcard prefix with a / is refused", () => {
    assertRefused(entry(`prefix = "*.example.com/foo"`), [
      /wildcard prefix "\*\.example\.com\/foo" must be "\*\.example\.com"/,
    ]);
    assertRefused(entry(`prefix = "*.example.com:5000"\nlocation = "x"`), [/wildcard prefix/]);
  });

  test("an entry with neither prefix nor location is refused", () => {
    assertRefused(`[[registry]]\nlocation = "a"\n[[registry]]\ninsecure = true\n`, [
      /\[\[registry\]\] 2: neither prefix nor location is set/,
    ]);
  });

  test("a non-wildcard prefix without a location is refused", () => {
    assertRefused(entry(`prefix = "example.com"`), [
      /\[\[registry\]\] 1 \(prefix "example.com"\): location is not set/,
      /wildcard/,
    ]);
  });

  test("a mirror without a location is refused, naming the mirror", () => {
    assertRefused(entry(`location = "a.com"\n[[registry.mirror]]\ninsecure = true`), [
      /\[\[registry\]\] 1 \(location "a.com"\): \[\[registry.mirror\]\] 1: location is not set/,
    ]);
  });

  test("pull-from-mirror on the registry itself is refused", () => {
    assertRefused(entry(`location = "a.com"\npull-from-mirror = "all"`), [
      /pull-from-mirror is for \[\[registry.mirror\]\] entries/,
    ]);
  });

  test("a pull-from-mirror value other than all, digest-only, tag-only is refused", () => {
    assertRefused(
      entry(`location = "a.com"\n[[registry.mirror]]\nlocation = "m"\npull-from-mirror = "never"`),
      [/\[\[registry.mirror\]\] 1: pull-from-mirror "never" is not one of/],
    );
  });

  test("mirror-by-digest-only with a per-mirror pull-from-mirror is refused", () => {
    assertRefused(
      entry(
        `location = "a.com"\nmirror-by-digest-only = true\n` +
          `[[registry.mirror]]\nlocation = "m"\npull-from-mirror = "all"`,
      ),
      [/pull-from-mirror cannot be set when the registry sets mirror-by-digest-only/],
    );
  });

  test("one location with conflicting insecure or blocked settings is refused", () => {
    const twice = (a: string, b: string): string =>
      `[[registry]]\nprefix = "a.example.com"\nlocation = "r.com"\n${a}\n` +
      `[[registry]]\nprefix = "b.example.com"\nlocation = "r.com"\n${b}\n`;
    assertRefused(twice("insecure = true", ""), [
      /\[\[registry\]\] 2 \(prefix "b.example.com"\)/,
      /registry "r.com" is defined multiple times with conflicting 'insecure' setting/,
    ]);
    assertRefused(twice("", "blocked = true"), [/conflicting 'blocked' setting/]);
  });

  test("keys of the wrong TOML type are named", () => {
    assertRefused(entry(`location = "a.com"\ninsecure = "yes"`), [
      /\[\[registry\]\] 1 \(location "a.com"\): insecure must be true or false, not the string "yes"/,
    ]);
    assertRefused(entry(`location = 3`), [/location must be a string, not the number 3/]);
    assertRefused(`[registry]\nlocation = "a.com"\n`, [
      /registry must be an array of tables \(\[\[registry\]\]\), not a table/,
    ]);
    assertRefused(entry(`location = "a.com"\nmirror = "m"`), [/mirror must be an array of tables/]);
    assertRefused(`unqualified-search-registries = "docker.io"\n`, [
      /unqualified-search-registries must be an array of strings/,
    ]);
    assertRefused(`[aliases]\nfedora = 1\n`, [/\[aliases\]: "fedora" must be a string/]);
  });

  test("a key written twice in different cases is refused rather than picked at random", () => {
    assertRefused(entry(`location = "a.com"\nLocation = "b.com"`), [
      /location is set more than once \(as "location", "Location"\)/,
    ]);
  });

  test("a TOML syntax error gives the file, line:column and the parser's first line", () => {
    assertRefused(`[[registry]]\nlocation = "a.com"\ninsecure = = true\n`, [
      /^\/etc\/containers\/registries\.conf: line 3:12: Invalid TOML document: /,
    ]);
  });
});

describe("v1 format", () => {
  test("block and insecure lists become entries merged by location; search is ignored", () => {
    const conf = parsed(`
[registries.search]
registries = ["registry-a.com", "registry-c.com"]
[registries.block]
registries = ["registry-b.com"]
[registries.insecure]
registries = ["registry-b.com////", "registry-d.com", "registry-a.com"]
`);
    assert.deepEqual(
      conf.registries.map((e) => [e.prefix, e.location, e.blocked, e.insecure]),
      [
        ["registry-a.com", "registry-a.com", false, true],
        ["registry-b.com", "registry-b.com", true, true],
        ["registry-d.com", "registry-d.com", false, true],
      ],
    );
  });

  test("a v1 location with a URI scheme names its list", () => {
    assertRefused(`[registries.insecure]\nregistries = ["ok.com", "https://x"]\n`, [
      /\[registries\.insecure\] registries entry 2: location "https:\/\/x" must not have a URI scheme/,
    ]);
  });

  test("a v1 list in a registries.conf.d drop-in is refused", () => {
    assertRefused(`[registries.block]\nregistries = ["a.com"]\n`, [/drop-in must use the v2/], {
      dropIn: true,
    });
  });

  test("a file mixing v1 and v2 keys is refused", () => {
    assertRefused(
      `[[registry]]\nlocation = "a.com"\n[registries.block]\nregistries = ["b.com"]\n`,
      [/mixing v1 \(\[registries\.block\]\) and v2 \(registry\) keys is not supported/],
    );
    assertRefused(`short-name-mode = "enforcing"\n[registries.search]\nregistries = ["a.com"]\n`, [
      /mixing v1/,
    ]);
  });

  test("an empty v1 array still marks the file v1, as containers/image's loader decides", () => {
    assertRefused(`unqualified-search-registries = []\n[registries.block]\nregistries = []\n`, [
      /mixing v1/,
    ]);
    assert.deepEqual(parsed(`[registries.block]\nregistries = []\n`), { registries: [] });
  });

  test("a [registries] table without any list is not v1", () => {
    const conf = parsed(`[registries.search]\n[[registry]]\nlocation = "a.com"\n`, {
      dropIn: true,
    });
    assert.deepEqual(prefixes(conf), ["a.com"]);
  });
});

describe("drop-in merging", () => {
  test("a drop-in replaces the base's entries of the same prefix and keeps the others", () => {
    const base = parseRegistriesConf(
      `[[registry]]\nlocation = "a.com"\n[[registry]]\nlocation = "c.com"\ninsecure = true\n`,
      FILE,
    );
    const dropIn = parseRegistriesConf(
      `[[registry]]\nprefix = "c.com"\nlocation = "mirror.c.com"\n` +
        `[[registry]]\nlocation = "b.com"\nblocked = true\n`,
      "/etc/containers/registries.conf.d/50-local.conf",
      { dropIn: true },
    );
    const merged = mergeRegistriesConf(base, dropIn);
    assert.deepEqual(
      merged.registries.map((e) => [e.prefix, e.location, e.insecure, e.file]),
      [
        ["a.com", "a.com", false, FILE],
        ["b.com", "b.com", false, "/etc/containers/registries.conf.d/50-local.conf"],
        ["c.com", "mirror.c.com", false, "/etc/containers/registries.conf.d/50-local.conf"],
      ],
    );
    assert.equal(merged.registries[1]?.blocked, true);
  });
});
