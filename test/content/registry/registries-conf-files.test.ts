// Which registries.conf files apply and how they are read (registries-conf-files.ts): the main
// file's lookup order (named, the user's, the system's), which drop-in directories go with it,
// name order and replacement by prefix, and the errors that name the file.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import {
  loadRegistriesConf,
  registriesConfPaths,
  SYSTEM_REGISTRIES_CONF,
  SYSTEM_REGISTRIES_CONF_DIR,
} from "../../../src/content/registry/registries-conf-files.js";
import { OcicompatError } from "../../../src/oci/errors.js";
import { tempDir } from "../layout-support.js";

const work = tempDir("ocicompat-registries-conf-");

after(() => work.remove());

function write(path: string, text: string): string {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
  return path;
}

function entry(prefix: string, location: string, extra = ""): string {
  return `[[registry]]\nprefix = "${prefix}"\nlocation = "${location}"\n${extra}\n`;
}

describe("registries.conf lookup", () => {
  const home = "/home/someone";
  const userFile = join(home, ".config/containers/registries.conf");
  const userDir = join(home, ".config/containers/registries.conf.d");

  test("without a user file, the system's file and both drop-in directories apply", () => {
    assert.deepEqual(registriesConfPaths({ home, exists: () => false }), {
      file: SYSTEM_REGISTRIES_CONF,
      named: false,
      dirs: [SYSTEM_REGISTRIES_CONF_DIR, userDir],
    });
  });

  test("the user's own file replaces the system's, and only the user's drop-ins go with it", () => {
    const paths = registriesConfPaths({ home, exists: (p) => p === userFile });
    assert.deepEqual(paths, { file: userFile, named: false, dirs: [userDir] });
  });

  test("a named file wins over the user's and must exist; both drop-in directories still apply", () => {
    const paths = registriesConfPaths({ home, named: "/srv/site.conf", exists: () => true });
    assert.deepEqual(paths, {
      file: "/srv/site.conf",
      named: true,
      dirs: [SYSTEM_REGISTRIES_CONF_DIR, userDir],
    });
  });
});

describe("reading the files", () => {
  test("drop-ins apply in name order after the main file, each replacing entries with its prefixes", () => {
    const dir = join(work.path, "order");
    const main = write(
      join(dir, "registries.conf"),
      entry("a.example", "main-a.example") + entry("b.example", "main-b.example"),
    );
    const system = join(dir, "system.d");
    const user = join(dir, "user.d");
    write(join(system, "20-b.conf"), entry("b.example", "second-b.example"));
    write(join(system, "10-b.conf"), entry("b.example", "first-b.example"));
    write(join(system, "notes.txt"), "this is not TOML [[[");
    mkdirSync(join(system, "sub.conf"), { recursive: true });
    write(join(user, "00-c.conf"), entry("c.example", "user-c.example"));
    const loaded = loadRegistriesConf({ file: main, named: true, dirs: [system, user] });
    assert.deepEqual(
      loaded.conf.registries.map((r) => [r.prefix, r.location]),
      [
        ["a.example", "main-a.example"],
        ["b.example", "second-b.example"],
        ["c.example", "user-c.example"],
      ],
    );
    assert.deepEqual(loaded.files, [
      main,
      join(system, "10-b.conf"),
      join(system, "20-b.conf"),
      join(user, "00-c.conf"),
    ]);
    assert.equal(loaded.where, `${main}, ${system}, ${user}`);
  });

  test("a system file and directories that do not exist make an empty configuration", () => {
    const dir = join(work.path, "absent");
    const loaded = loadRegistriesConf({
      file: join(dir, "registries.conf"),
      named: false,
      dirs: [join(dir, "a.d"), join(dir, "b.d")],
    });
    assert.deepEqual(loaded.conf.registries, []);
    assert.deepEqual(loaded.files, []);
  });

  test("a named file that does not exist is an error naming it", () => {
    const file = join(work.path, "missing", "site.conf");
    assert.throws(
      () => loadRegistriesConf({ file, named: true, dirs: [] }),
      (err: unknown) =>
        err instanceof OcicompatError &&
        err.code === "IO" &&
        err.message === `the registries configuration ${file} does not exist`,
    );
  });

  test("a drop-in that cannot be parsed is an error naming that file", () => {
    const dir = join(work.path, "broken");
    const main = write(join(dir, "registries.conf"), entry("a.example", "a.example"));
    const bad = write(join(dir, "d", "50-bad.conf"), "[[registry]\nprefix = 1\n");
    assert.throws(
      () => loadRegistriesConf({ file: main, named: false, dirs: [join(dir, "d")] }),
      (err: unknown) =>
        err instanceof OcicompatError && err.message.includes(bad) && !err.message.includes(main),
    );
  });

  test("a drop-in path that is a file, or lies under one, is passed over as an absent directory", () => {
    const file = write(join(work.path, "notdir", "plain.conf"), entry("a.example", "a.example"));
    const loaded = loadRegistriesConf({
      file: join(work.path, "notdir", "none.conf"),
      named: false,
      dirs: [file, join(file, "sub")],
    });
    assert.deepEqual(loaded.files, []);
  });
});
