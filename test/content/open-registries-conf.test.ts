// registries.conf through the store opener, against two real distribution registries: a
// primary and a mirror. Reads go to the first mirror that has the image, then to the primary;
// writes and tag lists use the reference as written; blocked entries refuse before any request;
// command-line credentials never go to a mirror on another host.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import bcrypt from "bcryptjs";
import { createStoreOpener, type OpenOptions } from "../../src/content/open.js";
import { isOcicompatError } from "../../src/oci/errors.js";
import { parseReference } from "../../src/oci/reference.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import { tempDir } from "./layout-support.js";
import { image, pushImage, putTagged, type Image } from "./registry/helpers.js";

let primary: TestRegistry;
let mirror: TestRegistry;
let locked: TestRegistry;
const work = tempDir("ocicompat-open-rconf-");
const amd = image("amd64");
const arm = image("arm64");
const USER = "alice";
const PASSWORD = "correct-horse";

function put(registry: TestRegistry, repository: string, img: Image, tag: string) {
  return putTagged(`${registry.host}/${repository}:${tag}`, img);
}

let confCount = 0;
function conf(text: string): string {
  const file = join(work.path, `registries-${confCount++}.conf`);
  writeFileSync(file, text);
  return file;
}

/** An opener on `file`, recording the hosts it sent requests to and its warnings. */
function openerOn(file: string, extra: OpenOptions = {}) {
  const hosts: string[] = [];
  const warnings: string[] = [];
  const opener = createStoreOpener({
    registriesConf: file,
    authFile: join(work.path, "no-auth.json"),
    onRequest: (_method, url) => hosts.push(new URL(url).host),
    onSourceWarning: (message) => warnings.push(message),
    ...extra,
  });
  return { opener, hosts, warnings };
}

/** Runs `fn` with an opener made by openerOn, and closes it whatever `fn` does. */
async function withOpenerOn(
  made: ReturnType<typeof openerOn>,
  fn: (made: ReturnType<typeof openerOn>) => Promise<void>,
): Promise<void> {
  try {
    await fn(made);
  } finally {
    await made.opener.close();
  }
}

before(async () => {
  writeFileSync(join(work.path, "no-auth.json"), "{}");
  const htpasswd = `${USER}:${bcrypt.hashSync(PASSWORD, 4)}\n`;
  [primary, mirror, locked] = await Promise.all([
    startRegistry(),
    startRegistry(),
    startRegistry({ htpasswd }),
  ]);
  await Promise.all([
    put(mirror, "cache/team/app", amd, "v1"),
    put(primary, "team/app", arm, "v1"),
    put(primary, "team/only-primary", arm, "v1"),
    put(primary, "team/by-digest", arm, "v1"),
    // The two images share their layer. Distribution 2.8's filesystem driver rewrites a blob's
    // link file in place (truncate, then write) at every upload's commit, so two uploads of one
    // blob into one repository at once can make the other manifest's check read an empty link
    // and refuse it as MANIFEST_BLOB_UNKNOWN (later releases write a temporary file and rename
    // it). One after the other, then.
    put(mirror, "cache/team/by-digest", amd, "v1").then(() =>
      put(mirror, "cache/team/by-digest", arm, "arm"),
    ),
  ]);
});

after(async () => {
  await Promise.all([primary?.stop(), mirror?.stop(), locked?.stop()]);
  work.remove();
});

function mirrored(extra = ""): string {
  return conf(`[[registry]]
prefix = "${primary.host}/team"
location = "${primary.host}/team"
${extra}
[[registry.mirror]]
location = "${mirror.host}/cache/team"
`);
}

describe("reads through registries.conf mirrors", () => {
  test("a read goes to the mirror that has the image, and the primary is not asked", async () => {
    await withOpenerOn(openerOn(mirrored()), async ({ opener, hosts, warnings }) => {
      const opened = await opener.open(parseReference(`${primary.host}/team/app:v1`), {
        pull: true,
      });
      assert.deepEqual(opened.source, {
        registry: mirror.host,
        repository: "cache/team/app",
        mirror: true,
      });
      // The mirror's image, not the primary's (they differ on purpose).
      assert.equal((await opened.store.resolve("v1")).digest, amd.manifest.desc.digest);
      assert.equal(await opened.store.exists(amd.layer.desc), true);
      assert.deepEqual([...new Set(hosts)], [mirror.host]);
      assert.deepEqual(warnings, []);
    });
  });

  test("the tag was resolved once: the store answers it again without a request", async () => {
    await withOpenerOn(openerOn(mirrored()), async ({ opener, hosts }) => {
      const opened = await opener.open(parseReference(`${primary.host}/team/app:v1`), {
        pull: true,
      });
      const before = hosts.length;
      await opened.store.resolve("v1");
      assert.equal(hosts.length, before);
    });
  });

  test("a mirror without the image is passed over with a warning, and the primary answers", async () => {
    await withOpenerOn(openerOn(mirrored()), async ({ opener, warnings }) => {
      const opened = await opener.open(parseReference(`${primary.host}/team/only-primary:v1`), {
        pull: true,
      });
      assert.deepEqual(opened.source, undefined, "the reference as written");
      assert.equal((await opened.store.resolve("v1")).digest, arm.manifest.desc.digest);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0] ?? "", new RegExp(`${mirror.host}/cache/team/only-primary`));
      assert.match(warnings[0] ?? "", new RegExp(`${primary.host}/team/only-primary was read`));
    });
  });

  test("when every source fails, the primary's error is reported with the mirrors' named", async () => {
    await withOpenerOn(openerOn(mirrored()), async ({ opener }) => {
      await assert.rejects(
        opener.open(parseReference(`${primary.host}/team/nowhere:v1`), { pull: true }),
        (err: unknown) =>
          isOcicompatError(err) &&
          err.code === "NOT_FOUND" &&
          err.message.includes("mirrors also failed") &&
          err.message.includes(`${mirror.host}/cache/team/nowhere`),
      );
    });
  });

  test("with mirror-by-digest-only, a tag goes to the primary and a digest to the mirror", async () => {
    await withOpenerOn(
      openerOn(mirrored("mirror-by-digest-only = true")),
      async ({ opener, hosts }) => {
        const byTag = await opener.open(parseReference(`${primary.host}/team/by-digest:v1`), {
          pull: true,
        });
        assert.equal((await byTag.store.resolve("v1")).digest, arm.manifest.desc.digest);
        assert.deepEqual([...new Set(hosts)], [primary.host]);
        const digest = amd.manifest.desc.digest;
        const byDigest = await opener.open(
          parseReference(`${primary.host}/team/by-digest@${digest}`),
          { pull: true },
        );
        assert.equal(byDigest.source?.registry, mirror.host);
      },
    );
  });

  test("a write, and a tag list, use the reference as written, never the mirror", async () => {
    await withOpenerOn(openerOn(mirrored()), async ({ opener, hosts }) => {
      const { store, source } = await opener.open(parseReference(`${primary.host}/team/app:v2`));
      assert.equal(source, undefined);
      await pushImage(store, amd);
      await store.tag(amd.manifest.desc, "v2");
      assert.deepEqual(await store.listTags(), ["v1", "v2"]);
      assert.deepEqual([...new Set(hosts)], [primary.host]);
    });
  });
});

describe("rewrites, blocked entries and credentials", () => {
  test("a location rewrite sends reads of another name to the registry that holds it", async () => {
    const file = conf(`[[registry]]
prefix = "registry.example/dept"
location = "${primary.host}/team"
`);
    await withOpenerOn(openerOn(file), async ({ opener, hosts }) => {
      const opened = await opener.open(parseReference("registry.example/dept/app:v1"), {
        pull: true,
      });
      assert.deepEqual(opened.source, {
        registry: primary.host,
        repository: "team/app",
        mirror: false,
      });
      assert.equal((await opened.store.resolve("v1")).digest, arm.manifest.desc.digest);
      assert.deepEqual([...new Set(hosts)], [primary.host]);
    });
  });

  test("a blocked registry is refused before any request, for reads and writes, naming the file", async () => {
    const file = conf(`[[registry]]
location = "${primary.host}/team"
blocked = true
`);
    await withOpenerOn(openerOn(file), async ({ opener, hosts }) => {
      for (const pull of [true, false]) {
        await assert.rejects(
          opener.open(parseReference(`${primary.host}/team/app:v1`), { pull }),
          (err: unknown) =>
            isOcicompatError(err) &&
            err.code === "USAGE" &&
            err.message.includes("is blocked") &&
            err.message.includes(file),
        );
      }
      assert.deepEqual(hosts, []);
      // "teamwork" is not under the prefix "team": its reads reach the registry.
      const other = await opener.open(parseReference(`${primary.host}/teamwork/app:v1`));
      await assert.rejects(
        other.store.resolve("v1"),
        (err: unknown) => isOcicompatError(err) && err.code === "NOT_FOUND",
      );
      assert.deepEqual([...new Set(hosts)], [primary.host]);
    });
  });

  test("a location that rewrites a name into one without a registry host is refused, naming the entry", async () => {
    const file = conf(`[[registry]]
prefix = "registry.example/dept"
location = "dept"
`);
    await withOpenerOn(openerOn(file), async ({ opener, hosts }) => {
      await assert.rejects(
        opener.open(parseReference("registry.example/dept/app:v1"), { pull: true }),
        (err: unknown) =>
          isOcicompatError(err) &&
          err.code === "USAGE" &&
          err.message.startsWith(`${file}: the [[registry]] with prefix "registry.example/dept"`) &&
          err.message.includes(
            'rewrites the reference to dept/app, which is not a valid image name: "dept" is not a registry host',
          ),
      );
      assert.deepEqual(hosts, []);
    });
  });

  test("a location that rewrites a name into a blocked prefix is refused, naming that entry", async () => {
    const file = conf(`[[registry]]
prefix = "registry.example/dept"
location = "${primary.host}/team"

[[registry]]
location = "${primary.host}"
blocked = true
`);
    await withOpenerOn(openerOn(file), async ({ opener, hosts }) => {
      await assert.rejects(
        opener.open(parseReference("registry.example/dept/app:v1"), { pull: true }),
        (err: unknown) =>
          isOcicompatError(err) &&
          err.message.startsWith(`${primary.host}/team/app is blocked`) &&
          err.message.includes(`prefix "${primary.host}"`),
      );
      assert.deepEqual(hosts, []);
    });
  });

  test("a mirror under a blocked prefix is passed over, and the primary answers", async () => {
    const file = conf(`[[registry]]
prefix = "${primary.host}/team"
location = "${primary.host}/team"
[[registry.mirror]]
location = "${mirror.host}/cache/team"

[[registry]]
location = "${mirror.host}/cache"
blocked = true
`);
    await withOpenerOn(openerOn(file), async ({ opener, hosts, warnings }) => {
      const opened = await opener.open(parseReference(`${primary.host}/team/app:v1`), {
        pull: true,
      });
      assert.equal(opened.source, undefined);
      assert.equal(hosts.includes(mirror.host), false);
      assert.match(warnings[0] ?? "", /is blocked/);
    });
  });

  test("command-line credentials go to the registry as written, never to a mirror on another host", async () => {
    // The mirror would accept these very credentials: if they leaked, it would serve the read.
    await putWithCredentials(locked, "cache/team/app");
    const file = conf(`[[registry]]
prefix = "${primary.host}/team"
location = "${primary.host}/team"
[[registry.mirror]]
location = "${locked.host}/cache/team"
`);
    await withOpenerOn(
      openerOn(file, { username: USER, password: PASSWORD }),
      async ({ opener, warnings }) => {
        const opened = await opener.open(parseReference(`${primary.host}/team/app:v1`), {
          pull: true,
        });
        assert.equal(opened.source, undefined, "the primary served the read");
        assert.match(warnings[0] ?? "", /authentication required/);
      },
    );
  });
});

function putWithCredentials(registry: TestRegistry, repository: string): Promise<void> {
  return putTagged(`${registry.host}/${repository}:v1`, amd, {
    username: USER,
    password: PASSWORD,
  });
}
