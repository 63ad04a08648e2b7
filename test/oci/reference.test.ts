// Image references parseReference accepts: docker's normalisation, registries, oci:, oci-archive:
// and docker://; writtenTag, parseRepositoryReference, formatReference and the round trip through
// it, also on generated references (fast-check).
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  formatReference,
  parseReference,
  parseRepositoryReference,
  qualifiedNameParts,
  referenceProblem,
  writtenTag,
  type Reference,
} from "../../src/oci/reference.js";
import { OcicompatError } from "../../src/oci/errors.js";

const SHA256 = `sha256:${"a".repeat(64)}`;
const SHA512 = `sha512:${"0123456789abcdef".repeat(8)}`;

function registry(
  host: string,
  repository: string,
  extra: { tag?: string; digest?: string } = {},
): Reference {
  return { scheme: "registry", registry: host, repository, ...extra };
}

const valid: [input: string, expected: Reference][] = [
  // docker's normalisation of familiar names
  ["alpine", registry("docker.io", "library/alpine", { tag: "latest" })],
  ["alpine:3.19", registry("docker.io", "library/alpine", { tag: "3.19" })],
  ["library/alpine", registry("docker.io", "library/alpine", { tag: "latest" })],
  ["docker.io/alpine", registry("docker.io", "library/alpine", { tag: "latest" })],
  ["index.docker.io/alpine", registry("docker.io", "library/alpine", { tag: "latest" })],
  ["index.docker.io/user/app:1", registry("docker.io", "user/app", { tag: "1" })],
  ["user/app", registry("docker.io", "user/app", { tag: "latest" })],
  ["docker.io/library/alpine:latest", registry("docker.io", "library/alpine", { tag: "latest" })],
  // registries
  ["ghcr.io/org/team/app:v1.2.3", registry("ghcr.io", "org/team/app", { tag: "v1.2.3" })],
  ["localhost/app", registry("localhost", "app", { tag: "latest" })],
  ["localhost:5000/app:dev", registry("localhost:5000", "app", { tag: "dev" })],
  [
    "registry.example.com:443/a/b/c",
    registry("registry.example.com:443", "a/b/c", { tag: "latest" }),
  ],
  ["127.0.0.1:5000/app", registry("127.0.0.1:5000", "app", { tag: "latest" })],
  ["[::1]:5000/app", registry("[::1]:5000", "app", { tag: "latest" })],
  ["[fe80::1]/app:x", registry("[fe80::1]", "app", { tag: "x" })],
  ["my-registry/app", registry("docker.io", "my-registry/app", { tag: "latest" })],
  ["Foo/bar", registry("Foo", "bar", { tag: "latest" })],
  ["a-b.example/x", registry("a-b.example", "x", { tag: "latest" })],
  // a single component is never a registry
  ["localhost:5000", registry("docker.io", "library/localhost", { tag: "5000" })],
  ["example.com", registry("docker.io", "library/example.com", { tag: "latest" })],
  // path separators
  ["a.b/c_d/e__f/g-h/i---j", registry("a.b", "c_d/e__f/g-h/i---j", { tag: "latest" })],
  ["x/0", registry("docker.io", "x/0", { tag: "latest" })],
  // tags and digests
  ["alpine:_private", registry("docker.io", "library/alpine", { tag: "_private" })],
  ["alpine:Release-1.0_rc", registry("docker.io", "library/alpine", { tag: "Release-1.0_rc" })],
  [`alpine:${"t".repeat(128)}`, registry("docker.io", "library/alpine", { tag: "t".repeat(128) })],
  [`alpine@${SHA256}`, registry("docker.io", "library/alpine", { digest: SHA256 })],
  [
    `alpine:3.19@${SHA256}`,
    registry("docker.io", "library/alpine", { tag: "3.19", digest: SHA256 }),
  ],
  [`quay.io/a/b@${SHA512}`, registry("quay.io", "a/b", { digest: SHA512 })],
  [
    "alpine@foo+bar:abcDEF=_-",
    registry("docker.io", "library/alpine", { digest: "foo+bar:abcDEF=_-" }),
  ],
  // exactly the 255-character limit: "docker.io/library/" is 18 characters
  [`${"a".repeat(237)}`, registry("docker.io", `library/${"a".repeat(237)}`, { tag: "latest" })],
  // oci-layout
  ["oci:./layout", { scheme: "oci-layout", path: "./layout" }],
  ["oci:layout", { scheme: "oci-layout", path: "layout" }],
  [
    "oci:/var/lib/images/app.v1:stable",
    { scheme: "oci-layout", path: "/var/lib/images/app.v1", tag: "stable" },
  ],
  [`oci:dir@${SHA256}`, { scheme: "oci-layout", path: "dir", digest: SHA256 }],
  [`oci:dir:v1@${SHA256}`, { scheme: "oci-layout", path: "dir", tag: "v1", digest: SHA256 }],
  ["oci:dir:a:b", { scheme: "oci-layout", path: "dir", tag: "a:b" }],
  [
    "oci:dir:registry.example.com/app:1.0",
    { scheme: "oci-layout", path: "dir", tag: "registry.example.com/app:1.0" },
  ],
  ["oci:dir:1.0--rc+build_2", { scheme: "oci-layout", path: "dir", tag: "1.0--rc+build_2" }],
  ["oci:my images/app", { scheme: "oci-layout", path: "my images/app" }],
  // the prefix wins over a registry host that happens to be called "oci"
  ["oci:5000/app", { scheme: "oci-layout", path: "5000/app" }],
  // oci-archive
  ["oci-archive:app.tar", { scheme: "oci-archive", path: "app.tar" }],
  ["oci-archive:/tmp/app.tar:v2", { scheme: "oci-archive", path: "/tmp/app.tar", tag: "v2" }],
  ["oci-archive:out/a.b.tar:a:b", { scheme: "oci-archive", path: "out/a.b.tar", tag: "a:b" }],
  // skopeo's docker:// transport: the same grammar and normalisation
  ["docker://alpine", registry("docker.io", "library/alpine", { tag: "latest" })],
  ["docker://127.0.0.1:5000/app:v1", registry("127.0.0.1:5000", "app", { tag: "v1" })],
  [`docker://ghcr.io/a/b@${SHA256}`, registry("ghcr.io", "a/b", { digest: SHA256 })],
  ["docker://dir:v1", registry("docker.io", "library/dir", { tag: "v1" })],
  ["docker://oci:dir", registry("docker.io", "library/oci", { tag: "dir" })],
  // "docker" without "//" is the Docker Hub image, as in docker:24-dind
  ["docker:24-dind", registry("docker.io", "library/docker", { tag: "24-dind" })],
];

describe("parseReference accepts valid references", () => {
  for (const [input, expected] of valid) {
    test(`parses ${JSON.stringify(input.length > 60 ? `${input.slice(0, 57)}...` : input)}`, () => {
      assert.deepEqual(parseReference(input), expected);
      assert.equal(referenceProblem(input), undefined);
    });
  }
});

describe("writtenTag", () => {
  test("is undefined for a registry reference that leaves the tag to docker's default", () => {
    assert.equal(writtenTag("alpine"), undefined);
    assert.equal(writtenTag("docker://127.0.0.1:5000/app"), undefined);
    assert.equal(writtenTag(`ghcr.io/a/b@${SHA256}`), undefined);
  });

  test("is the tag the text writes, for every scheme", () => {
    assert.equal(writtenTag("alpine:latest"), "latest");
    assert.equal(writtenTag("docker://127.0.0.1:5000/app:v1"), "v1");
    assert.equal(writtenTag("oci:dir:v2"), "v2");
    assert.equal(writtenTag("oci-archive:a.tar:v3"), "v3");
    assert.equal(writtenTag("oci:dir"), undefined);
  });
});

describe("parseRepositoryReference", () => {
  test("takes a repository, a layout or an archive without tag or digest", () => {
    assert.deepEqual(parseRepositoryReference("127.0.0.1:5000/app"), {
      scheme: "registry",
      registry: "127.0.0.1:5000",
      repository: "app",
      tag: "latest",
    });
    assert.deepEqual(parseRepositoryReference("oci:dir"), { scheme: "oci-layout", path: "dir" });
    assert.deepEqual(parseRepositoryReference("docker://alpine").scheme, "registry");
  });

  for (const [input, named] of [
    [
      "127.0.0.1:5000/app:v1",
      /names tag "v1", but a whole repository is wanted here: leave out ":v1"/,
    ],
    ["alpine:latest", /names tag "latest"/],
    [`127.0.0.1:5000/app@${SHA256}`, /names digest sha256:a+, .*leave out "@sha256:a+"/],
    ["oci:dir:v1", /names tag "v1"/],
    [`oci:dir@${SHA256}`, /names digest/],
    ["oci-archive:a.tar:v1", /names tag "v1"/],
  ] as const) {
    test(`refuses ${input} instead of ignoring what follows the name`, () => {
      assert.throws(
        () => parseRepositoryReference(input),
        (err: unknown) =>
          err instanceof OcicompatError &&
          err.code === "INVALID_REFERENCE" &&
          err.subject === input &&
          named.test(err.message),
      );
    });
  }
});

describe("formatReference", () => {
  test("writes registry references fully qualified with docker's defaults filled in", () => {
    assert.equal(formatReference(parseReference("alpine")), "docker.io/library/alpine:latest");
    assert.equal(formatReference(parseReference("user/app:1")), "docker.io/user/app:1");
  });

  test("keeps a digest-only reference digest-only", () => {
    assert.equal(
      formatReference(parseReference(`alpine@${SHA256}`)),
      `docker.io/library/alpine@${SHA256}`,
    );
  });

  test("writes the tag before the digest when both are present", () => {
    assert.equal(
      formatReference(parseReference(`ghcr.io/a/b:1@${SHA256}`)),
      `ghcr.io/a/b:1@${SHA256}`,
    );
  });

  test("writes layout and archive references in skopeo's syntax", () => {
    assert.equal(formatReference({ scheme: "oci-layout", path: "/x/y" }), "oci:/x/y");
    assert.equal(
      formatReference({ scheme: "oci-layout", path: "d", tag: "t", digest: SHA256 }),
      `oci:d:t@${SHA256}`,
    );
    assert.equal(
      formatReference({ scheme: "oci-archive", path: "a.tar", tag: "v1" }),
      "oci-archive:a.tar:v1",
    );
  });

  test("round-trips every valid case through parse, format and parse again", () => {
    for (const [input] of valid) {
      const once = parseReference(input);
      assert.deepEqual(parseReference(formatReference(once)), once, input);
    }
  });

  test("is a fixed point on already-canonical text", () => {
    for (const [input] of valid) {
      const canonical = formatReference(parseReference(input));
      assert.equal(formatReference(parseReference(canonical)), canonical, input);
    }
  });
});

describe("layout references never default a tag", () => {
  test("an untagged oci: reference has neither tag nor digest", () => {
    const ref = parseReference("oci:dir");
    assert.equal("tag" in ref, false);
    assert.equal("digest" in ref, false);
  });

  test("an untagged oci-archive: reference has no tag", () => {
    assert.equal("tag" in parseReference("oci-archive:a.tar"), false);
  });
});

const lowerAlnum = fc
  .array(fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789"), { minLength: 1, maxLength: 6 })
  .map((cs) => cs.join(""));
const pathComponent = fc
  .tuple(
    lowerAlnum,
    fc.array(fc.tuple(fc.constantFrom(".", "_", "__", "-", "--", "---"), lowerAlnum), {
      maxLength: 2,
    }),
  )
  .map(([head, rest]) => head + rest.map(([sep, part]) => sep + part).join(""));
const repositoryPath = fc
  .array(pathComponent, { minLength: 1, maxLength: 4 })
  .map((parts) => parts.join("/"));
const hostLabel = fc
  .tuple(
    fc.constantFrom(..."abcXYZ019"),
    fc.array(fc.constantFrom(..."abcXYZ019-"), { maxLength: 5 }),
    fc.constantFrom(..."abcXYZ019"),
  )
  .map(([a, mid, z]) => a + mid.join("") + z);
const registryHost = fc.oneof(
  fc.constant(undefined),
  fc.constant("localhost"),
  fc.constant("[::1]"),
  fc.array(hostLabel, { minLength: 2, maxLength: 3 }).map((labels) => labels.join(".")),
);
const port = fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined });
const tag = fc
  .tuple(fc.constantFrom(..."aZ9_"), fc.array(fc.constantFrom(..."aZ9_.-"), { maxLength: 20 }))
  .map(([first, rest]) => first + rest.join(""));
const hex64 = fc
  .array(fc.constantFrom(..."0123456789abcdef"), { minLength: 64, maxLength: 64 })
  .map((cs) => cs.join(""));

describe("generated references", () => {
  test("every generated valid registry reference parses and round-trips", () => {
    fc.assert(
      fc.property(
        registryHost,
        port,
        repositoryPath,
        fc.option(tag, { nil: undefined }),
        fc.option(hex64, { nil: undefined }),
        (host, portNumber, path, tagText, hex) => {
          // Without a host, a first component with a dot is read as a host (docker's rule).
          fc.pre(host !== undefined || !(path.split("/")[0] ?? "").includes("."));
          const domain =
            host === undefined ? "" : `${host}${portNumber === undefined ? "" : `:${portNumber}`}/`;
          const input =
            domain +
            path +
            (tagText === undefined ? "" : `:${tagText}`) +
            (hex === undefined ? "" : `@sha256:${hex}`);
          const ref = parseReference(input);
          assert.equal(ref.scheme, "registry");
          assert.deepEqual(parseReference(formatReference(ref)), ref);
        },
      ),
    );
  });

  test("every generated oci: reference parses and round-trips", () => {
    const pathChars = fc
      .array(fc.constantFrom(..."ab./ _-"), { minLength: 1, maxLength: 12 })
      .map((cs) => cs.join(""))
      .filter((p) => p.trim() === p);
    const layoutTag = fc
      .tuple(
        lowerAlnum,
        fc.array(fc.tuple(fc.constantFrom(".", "_", "-", "--", "+", ":", "/"), lowerAlnum), {
          maxLength: 3,
        }),
      )
      .map(([head, rest]) => head + rest.map(([sep, part]) => sep + part).join(""));
    fc.assert(
      fc.property(
        pathChars,
        fc.option(layoutTag, { nil: undefined }),
        fc.option(hex64, { nil: undefined }),
        (path, tagText, hex) => {
          const input =
            `oci:${path}` +
            (tagText === undefined ? "" : `:${tagText}`) +
            (hex === undefined ? "" : `@sha256:${hex}`);
          const ref = parseReference(input);
          assert.deepEqual(ref.scheme === "oci-layout" && ref.path, path);
          assert.deepEqual(parseReference(formatReference(ref)), ref);
        },
      ),
    );
  });
});

describe("qualifiedNameParts: a name as registries.conf rewrites it, never defaulted to Docker Hub", () => {
  test("a name whose first component is a host splits into registry and repository", () => {
    assert.deepEqual(qualifiedNameParts("mirror.example:5000/cache/team/app"), {
      registry: "mirror.example:5000",
      repository: "cache/team/app",
    });
    assert.deepEqual(qualifiedNameParts("localhost/app"), {
      registry: "localhost",
      repository: "app",
    });
  });

  test("a first component that is not a host, or an invalid part, is a problem", () => {
    assert.deepEqual(qualifiedNameParts("team/app"), {
      problem: '"team" is not a registry host (one with a "." or a ":PORT", or localhost)',
    });
    assert.match(
      (qualifiedNameParts("mirror.example/Team") as { problem: string }).problem,
      /must be lowercase/,
    );
  });
});
