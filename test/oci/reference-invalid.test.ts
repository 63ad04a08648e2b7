// References parseReference refuses, each with the reason it gives (transports, repository, host
// and port, tag, digest, layout, archive), and refused transports naming every supported form.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { parseReference, referenceProblem } from "../../src/oci/reference.js";
import { OcicompatError } from "../../src/oci/errors.js";

const SHA256 = `sha256:${"a".repeat(64)}`;

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
