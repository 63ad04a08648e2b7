// containers-policy.json as containers/image reads it: strict parsing, the scope lookup of each
// transport, and ocicompat's verdict (only insecureAcceptAnything accepts an image it copies).
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { enforceSourcePolicy, policyFilePath } from "../../../src/content/policy/policy-file.js";
import {
  enforceSignaturePolicy,
  parseSignaturePolicy,
  policyScopes,
  requirementsFor,
} from "../../../src/content/policy/signature-policy.js";
import { isOcicompatError } from "../../../src/oci/errors.js";
import { parseReference } from "../../../src/oci/reference.js";

const ACCEPT = [{ type: "insecureAcceptAnything" }];
const REJECT = [{ type: "reject" }];
const SIGNED = [{ type: "signedBy", keyType: "GPGKeys", keyPath: "/etc/pki/key.gpg" }];

const policy = (doc: unknown) => parseSignaturePolicy(JSON.stringify(doc), "/etc/policy.json");

/** The message a policy text is refused with (its exact text, duplicate keys included). */
function refusal(text: string): string {
  try {
    parseSignaturePolicy(text, "/etc/policy.json");
  } catch (err) {
    assert.ok(isOcicompatError(err));
    assert.equal(err.subject, "/etc/policy.json");
    return err.message;
  }
  assert.fail(`accepted: ${text}`);
}

describe("parsing a signature policy", () => {
  test("Debian's and Fedora's shipped policies parse; the transports and scopes are kept", () => {
    const debian = policy({ default: ACCEPT });
    assert.deepEqual(debian.default, ["insecureAcceptAnything"]);
    assert.equal(debian.transports.size, 0);
    const fedora = policy({
      default: ACCEPT,
      transports: {
        docker: { "registry.redhat.io": SIGNED, "registry.access.redhat.com": SIGNED },
        "docker-daemon": { "": ACCEPT },
      },
    });
    assert.deepEqual(fedora.default, ["insecureAcceptAnything"]);
    assert.deepEqual(
      [...(fedora.transports.get("docker")?.keys() ?? [])],
      ["registry.redhat.io", "registry.access.redhat.com"],
    );
  });

  test("every requirement and identity kind containers/image accepts is accepted", () => {
    const id = (identity: Record<string, unknown>) => ({
      type: "sigstoreSigned",
      keyData: "AAAA",
      signedIdentity: identity,
    });
    const p = policy({
      default: [
        { type: "signedBy", keyType: "signedByGPGKeys", keyPaths: ["/a", "/b"] },
        { type: "signedBy", keyType: "X509Certificates", keyData: "AAAA" },
        {
          type: "sigstoreSigned",
          fulcio: { caData: "AAAA", oidcIssuer: "https://issuer", subjectEmail: "a@b" },
          rekorPublicKeyPath: "/rekor.pub",
        },
        {
          type: "sigstoreSigned",
          pki: { caRootsPath: "/roots.pem", subjectHostname: "build.example" },
        },
        { type: "sigstoreSigned", keyDatas: ["AAAA", "BBBB"], rekorPublicKeyDatas: ["AAAA"] },
        id({ type: "matchExact" }),
        id({ type: "matchRepository" }),
        id({ type: "exactReference", dockerReference: "example.com/app:1" }),
        id({ type: "exactRepository", dockerRepository: "example.com/app" }),
        id({ type: "remapIdentity", prefix: "mirror.example", signedPrefix: "example.com" }),
        { type: "signedBaseLayer", baseLayerIdentity: { type: "matchRepoDigestOrExact" } },
      ],
      transports: {
        "docker-daemon": { "": ACCEPT, "busybox:latest": ACCEPT },
        "containers-storage": { "[overlay@/var/lib/containers/storage]": ACCEPT },
        dir: { "/srv/dirs": ACCEPT },
        "some-future-transport": { anything: ACCEPT },
      },
    });
    assert.equal(p.default.length, 11);
  });

  test("what containers/image refuses is refused, naming the JSON path", () => {
    const cases: [string, RegExp][] = [
      ["{}", /\$\.default: missing/],
      ['{"default": []}', /\$\.default: must be a non-empty list/],
      ['{"default": [{"type": "acceptAll"}]}', /\$\.default\[0\]\.type: "acceptAll" is not/],
      [
        '{"default": [{"type": "reject", "keyPath": "x"}]}',
        /\$\.default\[0\]\.keyPath: unknown key/,
      ],
      ['{"default": [{"type": "reject"}], "extra": 1}', /\$\.extra: unknown key/],
      ['{"default": [{"type": "reject"}], "default": []}', /duplicate/i],
      [
        '{"default": [{"type": "reject"}], "transports": {"oci": {"relative/dir": [{"type": "reject"}]}}}',
        /transports\.oci\["relative\/dir"\]: must be an absolute, canonical path/,
      ],
      [
        '{"default": [{"type": "reject"}], "transports": {"oci-archive": {"/": [{"type": "reject"}]}}}',
        /must be an absolute, canonical path other than "\/"/,
      ],
      ['{"default": [{"type": "reject"}], "transports": {"docker": {"x": []}}}', /non-empty list/],
      ["not json", /invalid signature policy/],
      // The signature requirements' own fields, as containers/image checks them.
      [
        '{"default": [{"type": "signedBy", "keyType": "GPGKeys"}]}',
        /exactly one of keyPath, keyPaths, keyData/,
      ],
      [
        '{"default": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/k", "bogus": 1}]}',
        /\$\.default\[0\]\.bogus: unknown key/,
      ],
      [
        '{"default": [{"type": "signedBy", "keyType": "PGP", "keyPath": "/k"}]}',
        /keyType: "PGP" is not one of/,
      ],
      [
        '{"default": [{"type": "sigstoreSigned", "keyPath": "/k", "signedIdentity": {"type": "matchRepo"}}]}',
        /signedIdentity\.type: "matchRepo" is not one of/,
      ],
      [
        '{"default": [{"type": "sigstoreSigned", "keyPath": "/k", "keyData": "AAAA"}]}',
        /exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio, pki/,
      ],
      [
        '{"default": [{"type": "sigstoreSigned", "fulcio": {"caPath": "/ca", "oidcIssuer": "https://i", "subjectEmail": "a@b"}}]}',
        /fulcio needs a rekorPublicKey/,
      ],
      [
        '{"default": [{"type": "sigstoreSigned", "keyPath": "/k", "signedIdentity": {"type": "exactReference", "dockerReference": "example.com/app"}}]}',
        /dockerReference: must be an image name with a tag or digest/,
      ],
      ['{"default": [{"type": "signedBaseLayer"}]}', /baseLayerIdentity: missing/],
      // Each known transport's scope rules.
      [
        '{"default": [{"type": "reject"}], "transports": {"dir": {"foo": [{"type": "reject"}]}}}',
        /transports\.dir\["foo"\]: must be an absolute/,
      ],
      [
        '{"default": [{"type": "reject"}], "transports": {"docker-archive": {"/x": [{"type": "reject"}]}}}',
        /docker-archive takes no scope but ""/,
      ],
      [
        `{"default": [{"type": "reject"}], "transports": {"docker-daemon": {"sha256:${"a".repeat(64)}": [{"type": "reject"}]}}}`,
        /a digest is not a docker-daemon scope/,
      ],
      [
        '{"default": [{"type": "reject"}], "transports": {"containers-storage": {"overlay@/var": [{"type": "reject"}]}}}',
        /must start with \[STORE\]/,
      ],
    ];
    for (const [text, expected] of cases) assert.match(refusal(text), expected, text);
  });
});

describe("the scopes that name an image, most specific first", () => {
  test("a registry image: the tagged name, each namespace up to the host with its port, then wildcard domains without it", () => {
    assert.deepEqual(policyScopes(parseReference("quay.example.com:8443/team/sub/app:1.0")), [
      "quay.example.com:8443/team/sub/app:1.0",
      "quay.example.com:8443/team/sub/app",
      "quay.example.com:8443/team/sub",
      "quay.example.com:8443/team",
      "quay.example.com:8443",
      "*.example.com",
      "*.com",
    ]);
  });

  test("Docker Hub names are expanded, and a digest takes the tag's place", () => {
    const digest = `sha256:${"a".repeat(64)}`;
    assert.deepEqual(policyScopes(parseReference(`busybox@${digest}`)).slice(0, 3), [
      `docker.io/library/busybox@${digest}`,
      "docker.io/library/busybox",
      "docker.io/library",
    ]);
  });

  test("a layout: its resolved directory and each parent, never /", () => {
    assert.deepEqual(policyScopes(parseReference("oci:x:1"), "/srv/images/x"), [
      "/srv/images/x",
      "/srv/images",
      "/srv",
    ]);
  });

  test("the most specific scope of the image's transport wins; then the transport's \"\"; then default", () => {
    const p = policy({
      default: REJECT,
      transports: {
        docker: {
          "": SIGNED,
          "example.com": ACCEPT,
          "example.com/team": REJECT,
          "example.com/team/app:1.0": ACCEPT,
          "*.example.org": ACCEPT,
        },
        oci: { "/srv/images": ACCEPT },
      },
    });
    const section = (ref: string, path?: string) =>
      requirementsFor(p, parseReference(ref), path).section;
    assert.equal(
      section("example.com/team/app:1.0"),
      'transports.docker["example.com/team/app:1.0"]',
    );
    assert.equal(section("example.com/team/app:2.0"), 'transports.docker["example.com/team"]');
    assert.equal(section("example.com/other:1"), 'transports.docker["example.com"]');
    assert.equal(section("registry.example.org/a:1"), 'transports.docker["*.example.org"]');
    assert.equal(section("quay.io/a:1"), 'transports.docker[""]');
    assert.equal(section("oci:x:1", "/srv/images/x"), 'transports.oci["/srv/images"]');
    assert.equal(section("oci:x:1", "/home/x"), "default");
    assert.equal(section("oci-archive:/srv/images/x.tar"), "default");
  });
});

describe("the verdict for a copy's source", () => {
  const p = policy({
    default: ACCEPT,
    transports: {
      docker: {
        "blocked.example": REJECT,
        "signed.example": SIGNED,
        "both.example": [...ACCEPT, { type: "sigstoreSigned", keyPath: "/k.pub" }],
      },
    },
  });
  const verdict = (ref: string) => {
    try {
      enforceSignaturePolicy(p, parseReference(ref), ref);
      return "accepted";
    } catch (err) {
      assert.ok(isOcicompatError(err) && err.code === "POLICY");
      assert.equal(err.subject, ref);
      return err.message;
    }
  };

  test("insecureAcceptAnything accepts", () => {
    assert.equal(verdict("free.example/app:1"), "accepted");
  });

  test("a reference with a tag and a digest must pass under both: a tag's scope cannot be stepped around", () => {
    const digest = `sha256:${"b".repeat(64)}`;
    const tagged = policy({
      default: ACCEPT,
      transports: { docker: { "free.example/app:1": REJECT } },
    });
    const byDigest = policy({
      default: ACCEPT,
      transports: { docker: { [`free.example/app@${digest}`]: REJECT } },
    });
    for (const p of [tagged, byDigest]) {
      assert.throws(
        () => enforceSignaturePolicy(p, parseReference(`free.example/app:1@${digest}`), "SRC"),
        /rejects it/,
      );
    }
  });

  test("reject refuses, naming the section and the file", () => {
    assert.equal(
      verdict("blocked.example/app:1"),
      'the signature policy rejects it (transports.docker["blocked.example"] of /etc/policy.json)',
    );
  });

  test("a signature requirement refuses, since ocicompat verifies none, even beside insecureAcceptAnything, and names the way out", () => {
    assert.match(
      verdict("signed.example/app:1"),
      /requires signedBy signatures \(transports\.docker\["signed\.example"\]/,
    );
    assert.match(
      verdict("both.example/app:1"),
      /requires sigstoreSigned signatures .*skopeo.*--insecure-policy/,
    );
  });
});

describe("finding and applying the policy file", () => {
  test("--policy first, then ~/.config/containers/policy.json, then the system's; none where neither exists", () => {
    const home = mkdtempSync(join(tmpdir(), "ocicompat-policy-home-"));
    try {
      const system = join(home, "system-policy.json");
      assert.equal(policyFilePath(undefined, home, system), undefined);
      writeFileSync(system, "{}");
      assert.equal(policyFilePath(undefined, home, system), system);
      const user = join(home, ".config", "containers", "policy.json");
      mkdirSync(join(home, ".config", "containers"), { recursive: true });
      writeFileSync(user, "{}");
      assert.equal(policyFilePath(undefined, home, system), user);
      assert.equal(policyFilePath("/named.json", home, system), "/named.json");
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  test("a layout is looked up by its real path, through symbolic links, as containers/image does", () => {
    const dir = mkdtempSync(join(tmpdir(), "ocicompat-policy-layout-"));
    try {
      mkdirSync(join(dir, "real"));
      symlinkSync(join(dir, "real"), join(dir, "link"));
      const file = join(dir, "policy.json");
      writeFileSync(
        file,
        JSON.stringify({ default: ACCEPT, transports: { oci: { [join(dir, "real")]: REJECT } } }),
      );
      const ref = parseReference(`oci:${join(dir, "link")}:1`);
      assert.throws(() => enforceSourcePolicy(ref, "SRC", file), /rejects it/);
      assert.doesNotThrow(() => enforceSourcePolicy(ref, "SRC", false), "false: no policy");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("an empty --policy is a usage error, not a file named ''", () => {
    assert.throws(
      () => enforceSourcePolicy(parseReference("a.example/b:1"), "SRC", ""),
      (err: unknown) => isOcicompatError(err) && err.code === "USAGE",
    );
  });

  test("a named policy file that cannot be read is an IO error naming it", () => {
    assert.throws(
      () => enforceSourcePolicy(parseReference("a.example/b:1"), "SRC", "/no/such/policy.json"),
      (err: unknown) =>
        isOcicompatError(err) && err.code === "IO" && err.subject === "/no/such/policy.json",
    );
  });
});
