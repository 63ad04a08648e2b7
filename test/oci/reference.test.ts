import { test, describe } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  formatReference,
  parseReference,
  parseRepositoryReference,
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

const invalid: [input: string, reason: RegExp][] = [
  ["", /reference is empty/],
  [" alpine", /leading or trailing whitespace/],
  ["alpine\n", /leading or trailing whitespace/],
  // other transports, by name, with the supported forms
  ["docker://", /nothing follows "docker:\/\/"/],
  ["docker://docker://alpine", /"docker:\/\/" cannot follow "docker:\/\/"/],
  [
    "docker-archive:/tmp/app.tar",
    /"docker-archive:" references are not supported \(convert it first/,
  ],
  ["docker-archive:app.tar:v1", /"docker-archive:" references are not supported/],
  ["docker-daemon:alpine:latest", /"docker-daemon:" references are not supported/],
  ["containers-storage:localhost/app", /"containers-storage:" references are not supported/],
  ["dir:/var/tmp/image", /"dir:" references are not supported/],
  ["dir:v1", /"dir:" .*; for the Docker Hub image, write docker:\/\/dir:v1$/],
  [
    "ocidir://layout",
    /"ocidir:\/\/" references are not supported \(an OCI layout directory is oci:DIR\)/,
  ],
  ["oci-layout://layout:v1", /"oci-layout:\/\/" references are not supported/],
  [
    "https://ghcr.io/a/b",
    /"https:\/\/" references are not supported \(write the registry reference without a scheme/,
  ],
  ["podman://x", /"podman:\/\/" references are not supported; the forms are oci:DIR/],
  ["f".repeat(64), /64-character hex string is an image ID/],
  [":latest", /repository name is empty/],
  [`@${SHA256}`, /repository name is empty/],
  // repository
  ["Alpine", /repository name "Alpine" must be lowercase/],
  ["docker.io/Library/alpine", /repository name "Library\/alpine" must be lowercase/],
  ["foo//bar", /empty path component/],
  ["foo/", /empty path component/],
  ["/foo", /empty path component/],
  ["ghcr.io/", /empty path component/],
  ["foo/ba r", /contains a space/],
  ["foo/b$r", /contains "\$"/],
  ["foo/-bar", /"-bar" must start and end with a lowercase letter or digit/],
  ["foo/bar.", /"bar\." must start and end/],
  ["foo/bar..baz", /"bar\.\.baz" has an invalid separator/],
  ["foo/bar___baz", /invalid separator/],
  ["foo/bar._baz", /invalid separator/],
  [
    "a".repeat(238),
    /name "docker\.io\/library\/a+\.\.\." is 256 characters long; the limit is 255/,
  ],
  [`example.com/${"b".repeat(250)}`, /is 262 characters long; the limit is 255/],
  // registry host and port
  ["localhost:/app", /invalid port: nothing follows ":"/],
  ["localhost:abc/app", /invalid port "abc": a port is a number from 1 to 65535/],
  ["localhost:70000/app", /invalid port "70000"/],
  ["localhost:0/app", /invalid port "0"/],
  ["ghcr..io/app", /registry host "ghcr\.\.io" has an empty label/],
  [".ghcr.io/app", /empty label/],
  ["-bad.io/app", /invalid label "-bad"/],
  ["bad_host.io/app", /invalid label "bad_host"/],
  [":5000/app", /empty host name/],
  ["[::1/app", /unclosed "\["/],
  ["[::g]/app", /invalid IPv6 address/],
  ["[::1]x/app", /has "x" after its IPv6 address/],
  ["[::1]:/app", /invalid port: nothing follows/],
  // tag
  ["alpine:", /tag is empty: nothing follows ":"/],
  ["alpine:bad!tag", /tag "bad!tag" contains "!" at position 4/],
  ["alpine:1:2", /tag "1:2" contains ":" at position 2/],
  ["alpine:.hidden", /starts with "\."; a tag must start with a letter, digit or "_"/],
  ["alpine:-x", /starts with "-"/],
  [`alpine:${"t".repeat(129)}`, /tag is 129 characters long; the limit is 128/],
  ["alpine:t\u0001", /control character U\+0001/],
  // digest
  ["alpine@", /invalid digest: "" is not a digest/],
  ["alpine@nope", /invalid digest: "nope" is not a digest/],
  ["alpine@sha256:abc", /invalid digest: sha256 digest must be 64 lowercase hex characters, got 3/],
  [`alpine@${SHA256}@${SHA256}`, /invalid digest: .* does not match the digest grammar/],
  // oci-layout
  ["oci:", /"oci:" reference has an empty directory path/],
  ["oci::tag", /empty directory path/],
  [`oci:@${SHA256}`, /empty directory path/],
  ["oci:dir:", /tag is empty/],
  ["oci:dir:@0", /skopeo's @INDEX form is not supported/],
  ["oci:dir:bad tag", /tag "bad tag" contains a space at position 4/],
  ["oci:dir:-x", /not a valid image-layout name/],
  ["oci:dir:a//b", /not a valid image-layout name/],
  ["oci:dir:a---b", /not a valid image-layout name/],
  ["oci:dir@sha256:short", /invalid digest: sha256 digest must be 64/],
  ["oci:dir:v1@", /invalid digest/],
  ["oci:dir:v1@nope", /invalid digest: "nope" is not a digest/],
  // oci-archive
  ["oci-archive:", /"oci-archive:" reference has an empty file path/],
  ["oci-archive::v1", /empty file path/],
  [`oci-archive:a.tar@${SHA256}`, /cannot carry a digest/],
  ["oci-archive:a.tar:", /tag is empty/],
  ["oci-archive:a.tar:x//y", /not a valid image-layout name/],
];

describe("parseReference accepts valid references", () => {
  for (const [input, expected] of valid) {
    test(`parses ${JSON.stringify(input.length > 60 ? `${input.slice(0, 57)}...` : input)}`, () => {
      assert.deepEqual(parseReference(input), expected);
      assert.equal(referenceProblem(input), undefined);
    });
  }
});

describe("parseReference rejects invalid references with a reason", () => {
  for (const [input, reason] of invalid) {
    const shown = JSON.stringify(input.length > 60 ? `${input.slice(0, 57)}...` : input);
    test(`rejects ${shown} because it matches ${reason}`, () => {
      assert.match(referenceProblem(input) ?? "(accepted)", reason);
      assert.throws(
        () => parseReference(input),
        (err: unknown) =>
          err instanceof OcicompatError &&
          err.code === "INVALID_REFERENCE" &&
          err.subject === input &&
          reason.test(err.message),
      );
    });
  }
});

describe("a refused transport names every supported form", () => {
  for (const input of ["docker-archive:/tmp/app.tar", "ocidir://layout", "dir:v1"]) {
    test(`the message for ${input} lists oci:, oci-archive:, docker:// and plain references`, () => {
      const problem = referenceProblem(input) ?? "";
      for (const form of [
        "oci:DIR[:tag|@digest]",
        "oci-archive:FILE[:tag]",
        "docker://REF",
        "REF",
      ]) {
        assert.ok(problem.includes(form), `${form} in ${problem}`);
      }
      assert.doesNotMatch(problem, /invalid port/);
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
