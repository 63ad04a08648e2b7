// The referrers API, OCI-Subject and Link-paged tag lists, which distribution 2.8 does not have,
// against an in-test registry.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { RegistryClient } from "../../../src/content/registry/client.js";
import { createRegistryStore } from "../../../src/content/registry/store.js";
import { referrersTag } from "../../../src/content/registry/documents.js";
import { copyGraph } from "../../../src/content/copy.js";
import { EmptyDescriptor, MediaType } from "../../../src/oci/media-types.js";
import { layoutWithSignedImage, tempDir } from "../layout-support.js";
import {
  content,
  FakeRegistry,
  fastRetry,
  image,
  requestLog,
  startServer,
  type TestServer,
} from "./helpers.js";

const withApi = new FakeRegistry({ referrersApi: true });
const withoutApi = new FakeRegistry({ referrersApi: false });
let servers: TestServer[] = [];
let apiClient: RegistryClient;
let plainClient: RegistryClient;
const { log, onRequest } = requestLog();

const subject = image("amd64").manifest;
function artifact(artifactType: string, note: string) {
  return content(MediaType.ImageManifest, {
    schemaVersion: 2,
    mediaType: MediaType.ImageManifest,
    artifactType,
    config: EmptyDescriptor,
    layers: [EmptyDescriptor],
    subject: subject.desc,
    annotations: { note },
  });
}
const compat = artifact(MediaType.Compatibilities, "compat");
const sbom = artifact("application/spdx+json", "sbom");

before(async () => {
  const a = await startServer(withApi.handler);
  const b = await startServer(withoutApi.handler);
  servers = [a, b];
  apiClient = new RegistryClient({ registry: a.host, onRequest, retry: fastRetry });
  plainClient = new RegistryClient({ registry: b.host, onRequest, retry: fastRetry });
});

after(async () => {
  await apiClient?.close();
  await plainClient?.close();
  for (const s of servers) await s.close();
});

beforeEach(() => {
  log.length = 0;
});

describe("(in-test server: referrers API)", () => {
  test("a manifest PUT answered with OCI-Subject reports subjectAccepted", async () => {
    const s = createRegistryStore({ repository: "team/app", client: apiClient });
    const result = await s.pushManifest(compat.desc, compat.bytes);
    assert.equal(result.subjectAccepted, true);
    assert.equal(result.subject, subject.desc.digest);
    assert.equal(result.digest, compat.desc.digest);
    await s.pushManifest(sbom.desc, sbom.bytes);
  });

  test("referrers are listed by the API, not the fallback tag, and the API is remembered", async () => {
    const s = createRegistryStore({ repository: "team/app", client: apiClient });
    const all = await s.referrers(subject.desc);
    assert.deepEqual(
      all.map((d) => d.digest).sort(),
      [compat.desc.digest, sbom.desc.digest].sort(),
    );
    assert.deepEqual(log, [`GET /v2/team/app/referrers/${subject.desc.digest}`]);
    assert.equal(s.referrersApi, true);
    // A second store of the same repository shares the client's memory.
    assert.equal(
      createRegistryStore({ repository: "team/app", client: apiClient }).referrersApi,
      true,
    );
    assert.equal(
      createRegistryStore({ repository: "team/other", client: apiClient }).referrersApi,
      undefined,
    );
  });

  test("the artifactType filter is passed to the API and applied by the server", async () => {
    const s = createRegistryStore({ repository: "team/app", client: apiClient });
    const found = await s.referrers(subject.desc, MediaType.Compatibilities);
    assert.deepEqual(
      found.map((d) => d.digest),
      [compat.desc.digest],
    );
    assert.match(
      log[0] as string,
      /\?artifactType=application%2Fvnd\.oci\.image\.compatibilities\.v1%2Bjson$/,
    );
  });

  test("when the server does not apply the filter, the client filters", async () => {
    withApi.filterReferrers = false;
    try {
      const s = createRegistryStore({ repository: "team/app", client: apiClient });
      const found = await s.referrers(subject.desc, "application/spdx+json");
      assert.deepEqual(
        found.map((d) => d.digest),
        [sbom.desc.digest],
      );
    } finally {
      withApi.filterReferrers = true;
    }
  });

  test("a registry whose referrers endpoint is 404 falls back to the tag once, then goes straight to it", async () => {
    const s = createRegistryStore({ repository: "team/app", client: plainClient });
    const pushed = await s.pushManifest(compat.desc, compat.bytes);
    assert.equal(pushed.subjectAccepted, false);
    const fallback = content(MediaType.ImageIndex, {
      schemaVersion: 2,
      mediaType: MediaType.ImageIndex,
      manifests: [{ ...compat.desc, artifactType: MediaType.Compatibilities }],
    });
    await s.pushManifest(fallback.desc, fallback.bytes, referrersTag(subject.desc.digest));
    log.length = 0;

    const first = await s.referrers(subject.desc);
    assert.deepEqual(
      first.map((d) => d.digest),
      [compat.desc.digest],
    );
    assert.deepEqual(log, [
      `GET /v2/team/app/referrers/${subject.desc.digest}`,
      `GET /v2/team/app/manifests/${referrersTag(subject.desc.digest)}`,
    ]);
    log.length = 0;
    await s.referrers(subject.desc);
    assert.deepEqual(log, [`GET /v2/team/app/manifests/${referrersTag(subject.desc.digest)}`]);
  });
});

describe("(in-test server: referrers API) copy --referrers", () => {
  test("no fallback tag is written, on the first copy or on a re-run where every referrer is there", async () => {
    const fake = new FakeRegistry({ referrersApi: true });
    const server = await startServer(fake.handler);
    const dir = tempDir("ocicompat-copy-api-");
    try {
      const {
        image: sample,
        src,
        subject: target,
      } = await layoutWithSignedImage(dir.path, "copy-api");

      for (const run of ["first", "re-run"]) {
        // A fresh client each time, as a new process has: it does not know the API yet.
        const client = new RegistryClient({ registry: server.host, retry: fastRetry });
        try {
          const dst = createRegistryStore({ repository: "copy/api", client });
          const stats = await copyGraph(src, dst, sample.index.desc, {
            tag: "v1",
            referrers: true,
          });
          assert.equal(stats.referrers, 1, run);
          assert.deepEqual(stats.referrersTags, [], run);
          assert.equal(fake.tags.has(referrersTag(target.desc.digest)), false, run);
          assert.equal(dst.referrersApi, true, run);
        } finally {
          await client.close();
        }
      }
    } finally {
      dir.remove();
      await server.close();
    }
  });
});

describe("(in-test server: tag paging)", () => {
  test("tag listing follows Link rel=next pages of size 2", async () => {
    const s = createRegistryStore({ repository: "team/app", client: apiClient, tagPageSize: 2 });
    const names = ["t1", "t2", "t3", "t4", "t5", "t6", "t7"];
    for (const name of names) await s.tag(compat.desc, name);
    log.length = 0;
    const tags = await s.listTags();
    assert.deepEqual(tags, names);
    assert.deepEqual(log, [
      "GET /v2/team/app/tags/list?n=2",
      "GET /v2/team/app/tags/list?n=2&last=t2",
      "GET /v2/team/app/tags/list?n=2&last=t4",
      "GET /v2/team/app/tags/list?n=2&last=t6",
    ]);
  });

  test("without Link headers, full pages are continued with last=", async () => {
    withApi.tagLinks = false;
    try {
      const s = createRegistryStore({ repository: "team/app", client: apiClient, tagPageSize: 3 });
      const tags = await s.listTags();
      assert.deepEqual(tags, ["t1", "t2", "t3", "t4", "t5", "t6", "t7"]);
      assert.equal(log.length, 3);
    } finally {
      withApi.tagLinks = true;
    }
  });
});
