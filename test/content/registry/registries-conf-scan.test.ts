// The shortcut past parsing (registries-conf-scan.ts) must never skip a file that defines a
// registry or that parsing would refuse: a table of the cases it must send to the parser,
// podman's own shortnames.conf, which it skips, and a property over generated files.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import fc from "fast-check";
import { parseRegistriesConf } from "../../../src/content/registry/registries-conf.js";
import { definesNoRegistries } from "../../../src/content/registry/registries-conf-scan.js";

test("comments, blank lines and simple non-registry tables of one-line pairs are skipped", () => {
  assert.equal(definesNoRegistries(""), true);
  assert.equal(definesNoRegistries("# only\n   # comments\n\n"), true);
  assert.equal(
    definesNoRegistries('[aliases]\n  # a comment\n  "alpine" = "docker.io/library/alpine"\n'),
    true,
  );
  assert.equal(definesNoRegistries('[aliases] # trailing\n"a/b" = "x.example/a/b"\r\n'), true);
  assert.equal(definesNoRegistries("[aliases]\n'x' = 'a[b' # brackets inside a string\n"), true);
});

test("anything that may define a registry, or that the scan cannot read line by line, is parsed", () => {
  const parsed = [
    '[[registry]]\nlocation = "a.example"\n',
    '[ registry ]\nlocation = "a.example"\n',
    '[Registry]\nlocation = "a.example"\n',
    '["registry"]\nlocation = "a.example"\n',
    "[registries.block]\nregistries = []\n",
    "[registries]\n",
    'registry = [{ location = "a.example" }]\n',
    'unqualified-search-registries = ["docker.io"]\n',
    'short-name-mode = "enforcing"\n',
    '[aliases]\n"x" = [\n"y"]\n[[registry]]\nlocation = "a.example"\n',
    '[aliases]\n"x" = """\n[aliases]\n"""\n',
    "[aliases]\n\"\\u0072\" = 'x'\n",
    "[aliases]\nnot a pair\n",
    "[aliases]\nfedora = 1\n",
    '[aliases]\n"x" = "a\\"b"\n',
    '[aliases.nested]\n"x" = "y"\n',
  ];
  for (const text of parsed) assert.equal(definesNoRegistries(text), false, text);
});

test("podman's shortnames.conf, as Debian installs it (npm test installs podman), is skipped", () => {
  const installed = "/etc/containers/registries.conf.d/shortnames.conf";
  const text = readFileSync(installed, "utf8");
  assert.ok(text.includes("[aliases]"), "the installed file is the aliases list");
  assert.equal(definesNoRegistries(text), true);
  assert.deepEqual(parseRegistriesConf(text, installed).registries, []);
});

test("whenever the scan skips a file, parsing it gives no registries and no error", () => {
  const key = fc.constantFrom('"alpine"', "registry", "registries", '"a/b"', "Registry", "x");
  const value = fc.constantFrom('"docker.io/x"', "[", "]", '["a"]', '{ location = "a" }', "3");
  const header = fc.constantFrom(
    "[aliases]",
    "[registry]",
    "[[registry]]",
    "[registries.block]",
    "[ other ]",
    '["registry"]',
  );
  const line = fc.oneof(
    header,
    fc.tuple(key, value).map(([k, v]) => `${k} = ${v}`),
    fc.constant("# comment"),
    fc.constant(""),
    value,
  );
  fc.assert(
    fc.property(fc.array(line, { maxLength: 8 }), (lines) => {
      const text = lines.join("\n");
      if (!definesNoRegistries(text)) return;
      assert.deepEqual(parseRegistriesConf(text, "generated.conf").registries, []);
    }),
    { numRuns: 2000 },
  );
});
