// containerd host directories (`--hosts-dir`) through the store opener, against real registries:
// a primary and a mirror holding different images under one tag (the digest shows who answered),
// containerd's `?ns=` on the mirror's requests, capabilities by tag and by digest, `_default`,
// certificate files without a hosts.toml, `ca` and `skip_verify` against a TLS registry, and an
// API root under a path (an in-test forwarding server, since distribution serves only /v2).
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createStoreOpener, type OpenOptions } from "../../src/content/open.js";
import { isOcicompatError } from "../../src/oci/errors.js";
import { parseReference } from "../../src/oci/reference.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import { startTlsRegistry, type TlsRegistry } from "../support/tls-registry.js";
import { tempDir } from "./layout-support.js";
import {
  image,
  pushImage,
  putTagged,
  startServer,
  type Image,
  type TestServer,
} from "./registry/helpers.js";

let primary: TestRegistry;
let mirror: TestRegistry;
let secure: TlsRegistry;
let prefixed: TestServer;
/** What the forwarding server was asked: path and query as they arrived. */
const forwarded: string[] = [];
const work = tempDir("ocicompat-hosts-dir-");
const amd = image("amd64");
const arm = image("arm64");
let dirs = 0;

function put(host: string, img: Image, caFile?: string): Promise<void> {
  return putTagged(`${host}/team/app:v1`, img, caFile ? { caFile } : {});
}

/** A hosts directory with `files` (path under it → text); returns its root. */
function hostsDir(files: Record<string, string>): string {
  const root = join(work.path, `hosts-${dirs++}`);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  mkdirSync(root, { recursive: true });
  return root;
}

/** Sends an in-test server's request on to `url` (the real mirror) and its answer back. */
async function forward(
  url: string,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
): Promise<void> {
  const answer = await fetch(url, {
    method: req.method ?? "GET",
    headers: { accept: String(req.headers.accept ?? "*/*") },
    ...(body.length > 0 ? { body } : {}),
  });
  const headers: Record<string, string> = {};
  answer.headers.forEach((value, key) => (headers[key] = value));
  res.writeHead(answer.status, headers);
  res.end(Buffer.from(await answer.arrayBuffer()));
}

/** containerd's directory name for host:port. */
const dirName = (host: string): string => host.replace(/:(\d+)$/, "_$1_");

function openerOn(root: string, extra: OpenOptions = {}) {
  const urls: string[] = [];
  const warnings: string[] = [];
  const opener = createStoreOpener({
    hostsDirs: [root],
    registriesConf: false,
    onRequest: (_method, url) => urls.push(url),
    onSourceWarning: (message) => warnings.push(message),
    ...extra,
  });
  return { opener, urls, warnings };
}

before(async () => {
  [primary, mirror, secure] = await Promise.all([
    startRegistry(),
    startRegistry(),
    startTlsRegistry(),
  ]);
  await Promise.all([
    put(primary.host, arm),
    put(mirror.host, amd),
    put(secure.registry.host, amd, secure.caFile),
  ]);
  // Serves the mirror's /v2 API under /prefix/v2 and under /custom (override_path).
  prefixed = await startServer(async (req, res, body) => {
    forwarded.push(req.url ?? "");
    const path = (req.url ?? "").replace(/^\/prefix\/v2/, "/v2").replace(/^\/custom/, "/v2");
    await forward(`${mirror.url}${path}`, req, res, body);
  });
});

after(async () => {
  await Promise.all([primary?.stop(), mirror?.stop(), secure?.stop(), prefixed?.close()]);
  work.remove();
});

describe("reads through a containerd host directory", () => {
  test("a resolve-capable mirror answers, with ?ns= naming the registry, and the server is not asked", async () => {
    const root = hostsDir({
      [`${dirName(primary.host)}/hosts.toml`]: `server = "http://${primary.host}"
[host."http://${mirror.host}"]
  capabilities = ["pull", "resolve"]
`,
    });
    const { opener, urls } = openerOn(root);
    try {
      const opened = await opener.open(parseReference(`${primary.host}/team/app:v1`), {
        pull: true,
      });
      assert.deepEqual(opened.source, {
        registry: mirror.host,
        repository: "team/app",
        mirror: true,
      });
      assert.equal((await opened.store.resolve("v1")).digest, amd.manifest.desc.digest);
      assert.ok(urls.length > 0);
      for (const url of urls) {
        assert.equal(new URL(url).host, mirror.host, url);
        // onRequest redacts query values; the forwarding server below sees them whole.
        assert.ok(new URL(url).searchParams.has("ns"), url);
      }
    } finally {
      await opener.close();
    }
  });

  test("a pull-only mirror is passed over for a tag and used for a digest", async () => {
    const root = hostsDir({
      [`${dirName(primary.host)}/hosts.toml`]: `[host."http://${mirror.host}"]
  capabilities = ["pull"]
`,
    });
    const { opener } = openerOn(root);
    try {
      const byTag = await opener.open(parseReference(`${primary.host}/team/app:v1`), {
        pull: true,
      });
      assert.equal(byTag.source, undefined, "the registry itself resolved the tag");
      assert.equal((await byTag.store.resolve("v1")).digest, arm.manifest.desc.digest);
      const byDigest = await opener.open(
        parseReference(`${primary.host}/team/app@${amd.manifest.desc.digest}`),
        { pull: true },
      );
      assert.equal(byDigest.source?.registry, mirror.host);
    } finally {
      await opener.close();
    }
  });

  test("_default applies to a registry without a directory of its own", async () => {
    const root = hostsDir({
      "_default/hosts.toml": `[host."http://${mirror.host}"]\n  capabilities = ["pull", "resolve"]\n`,
    });
    const { opener } = openerOn(root);
    try {
      const opened = await opener.open(parseReference(`${primary.host}/team/app:v1`), {
        pull: true,
      });
      assert.equal(opened.source?.registry, mirror.host);
    } finally {
      await opener.close();
    }
  });

  test("a mirror serving the API under a path (an in-test forwarding server) is reached there, with ?ns=, with and without override_path", async () => {
    for (const [url, extra] of [
      [`http://${prefixed.host}/prefix`, ""],
      [`http://${prefixed.host}/custom`, "  override_path = true\n"],
    ] as const) {
      const root = hostsDir({
        [`${dirName(primary.host)}/hosts.toml`]: `[host."${url}"]\n  capabilities = ["pull", "resolve"]\n${extra}`,
      });
      const { opener, urls } = openerOn(root);
      try {
        const opened = await opener.open(parseReference(`${primary.host}/team/app:v1`), {
          pull: true,
        });
        assert.equal((await opened.store.resolve("v1")).digest, amd.manifest.desc.digest);
        const path = new URL(urls[0] ?? "").pathname;
        assert.equal(
          path,
          extra === "" ? "/prefix/v2/team/app/manifests/v1" : "/custom/team/app/manifests/v1",
        );
        const arrived = new URL(forwarded[forwarded.length - 1] ?? "", "http://x");
        assert.equal(arrived.searchParams.get("ns"), primary.host);
      } finally {
        await opener.close();
      }
    }
  });

  test("a write goes to the registry as written, never to a mirror", async () => {
    const root = hostsDir({
      [`${dirName(primary.host)}/hosts.toml`]: `[host."http://${mirror.host}"]\n  capabilities = ["pull", "resolve"]\n`,
    });
    const { opener, urls } = openerOn(root);
    try {
      const { store, source } = await opener.open(parseReference(`${primary.host}/team/app:v2`));
      assert.equal(source, undefined);
      await pushImage(store, amd);
      await store.tag(amd.manifest.desc, "v2");
      assert.deepEqual([...new Set(urls.map((u) => new URL(u).host))], [primary.host]);
    } finally {
      await opener.close();
    }
  });
});

describe("TLS from a host directory", () => {
  test("without a hosts.toml, the directory's *.crt files are the registry's CAs", async () => {
    const host = secure.registry.host;
    const root = hostsDir({});
    mkdirSync(join(root, dirName(host)));
    copyFileSync(secure.caFile, join(root, dirName(host), "ca.crt"));
    const { opener } = openerOn(root);
    try {
      const opened = await opener.open(parseReference(`${host}/team/app:v1`), { pull: true });
      assert.equal((await opened.store.resolve("v1")).digest, amd.manifest.desc.digest);
    } finally {
      await opener.close();
    }
  });

  test("ca (relative to the file) and skip_verify reach a TLS registry that is trusted otherwise not", async () => {
    const host = secure.registry.host;
    const withCa = hostsDir({});
    mkdirSync(join(withCa, dirName(host)));
    copyFileSync(secure.caFile, join(withCa, dirName(host), "registry-ca.pem"));
    writeFileSync(
      join(withCa, dirName(host), "hosts.toml"),
      `server = "https://${host}"\nca = "registry-ca.pem"\n`,
    );
    const skipping = hostsDir({
      [`${dirName(host)}/hosts.toml`]: `server = "https://${host}"\nskip_verify = true\n`,
    });
    const plain = hostsDir({ [`${dirName(host)}/hosts.toml`]: `server = "https://${host}"\n` });
    for (const [root, trusted] of [
      [withCa, true],
      [skipping, true],
      [plain, false],
    ] as const) {
      const { opener } = openerOn(root);
      try {
        const opened = await opener.open(parseReference(`${host}/team/app:v1`), { pull: true });
        if (trusted) {
          assert.equal((await opened.store.resolve("v1")).digest, amd.manifest.desc.digest);
        } else {
          await assert.rejects(opened.store.resolve("v1"), /not trusted/);
        }
      } finally {
        await opener.close();
      }
    }
  });

  test("a hosts directory that does not exist is refused by name", async () => {
    const missing = join(work.path, "no-such-dir");
    const { opener } = openerOn(missing);
    await assert.rejects(
      opener.open(parseReference(`${primary.host}/team/app:v1`), { pull: true }),
      (err: unknown) => isOcicompatError(err) && err.code === "IO" && err.message.includes(missing),
    );
    await opener.close();
  });
});

describe("[header] (in-test servers: a front that redirects blobs to a storage host)", () => {
  test("configured headers go with every request to the host, never to a redirect target", async () => {
    const seen: { front: (string | undefined)[]; storage: (string | undefined)[] } = {
      front: [],
      storage: [],
    };
    const token = (req: { headers: Record<string, unknown> }) =>
      req.headers["x-site-token"] as string | undefined;
    const storage = await startServer(async (req, res) => {
      seen.storage.push(token(req));
      const answer = await fetch(`${mirror.url}/v2/team/app/blobs/${(req.url ?? "").slice(6)}`);
      res.writeHead(answer.status);
      res.end(Buffer.from(await answer.arrayBuffer()));
    });
    const front = await startServer(async (req, res, body) => {
      seen.front.push(token(req));
      const path = req.url ?? "";
      const blob = /^\/v2\/team\/app\/blobs\/(sha256:[0-9a-f]+)/.exec(path);
      if (blob && req.method === "GET") {
        res.writeHead(307, { location: `${storage.url}/blob/${blob[1]}` });
        res.end();
        return;
      }
      await forward(`${mirror.url}${path}`, req, res, body);
    });
    const root = hostsDir({
      [`${dirName(primary.host)}/hosts.toml`]: `[host."http://${front.host}"]
  capabilities = ["pull", "resolve"]
  [host."http://${front.host}".header]
    x-site-token = "s3cret"
`,
    });
    const { opener } = openerOn(root);
    try {
      const opened = await opener.open(parseReference(`${primary.host}/team/app:v1`), {
        pull: true,
      });
      assert.equal((await opened.store.resolve("v1")).digest, amd.manifest.desc.digest);
      const chunks: Uint8Array[] = [];
      for await (const chunk of await opened.store.fetch(amd.config.desc)) chunks.push(chunk);
      assert.deepEqual(Buffer.concat(chunks), Buffer.from(amd.config.bytes));
      assert.ok(
        seen.front.length >= 2 && seen.front.every((t) => t === "s3cret"),
        String(seen.front),
      );
      assert.deepEqual(seen.storage, [undefined]);
    } finally {
      await opener.close();
      await Promise.all([front.close(), storage.close()]);
    }
  });
});
