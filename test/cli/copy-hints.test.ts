// The failed side's own flags in a copy's hints: --insecure and --cert-dir reach both sides of a
// copy, --src-/--dest-tls-verify and --src-/--dest-cert-dir one.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { failedOn, withSideHints } from "../../src/cli/copy-hints.js";
import { CopyError } from "../../src/content/copy/error.js";
import { RegistryError } from "../../src/content/registry/errors.js";
import {
  clientCertificateHint,
  untrustedCertificateHint,
} from "../../src/content/registry/network-errors.js";
import { OcicompatError } from "../../src/oci/errors.js";

const DESC = {
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  digest: `sha256:${"a".repeat(64)}`,
  size: 2,
};

function unreachable(registry: string, hint: string): RegistryError {
  return new RegistryError({
    code: "UNREACHABLE",
    message: `cannot reach ${registry}: its TLS certificate is not trusted; ${hint}`,
    temporary: false,
    method: "GET",
    url: `https://${registry}/v2/`,
    subject: registry,
  });
}

describe("copy's failure hints", () => {
  test("an untrusted certificate names the side's --tls-verify=false, a client certificate its --cert-dir", () => {
    const src = withSideHints(unreachable("a.example", untrustedCertificateHint()), "source");
    assert.match((src as Error).message, /, or --src-tls-verify=false to skip verification$/);
    const dst = new CopyError(
      "destination",
      "b.example/app",
      DESC,
      unreachable("b.example", clientCertificateHint()),
    );
    assert.match((withSideHints(dst, "destination") as Error).message, /or pass --dest-cert-dir$/);
  });

  test("every hint in the message is the side's, a mirror's quoted failure included", () => {
    const hint = untrustedCertificateHint();
    const err = new OcicompatError(
      "UNREACHABLE",
      `cannot reach a.example: not trusted; ${hint} (mirrors also failed: [m.example/x: not trusted; ${hint}])`,
    );
    const message = (withSideHints(err, "source") as Error).message;
    assert.equal(message.split("--src-tls-verify=false").length, 3);
    assert.doesNotMatch(message, /--insecure/);
  });

  test("other failures keep their words, and the error stays the same object", () => {
    const err = new OcicompatError("NOT_FOUND", "manifest unknown", { subject: "a.example" });
    assert.throws(
      () => failedOn("source")(err),
      (thrown) => thrown === err,
    );
    assert.equal(err.message, "manifest unknown");
  });
});
