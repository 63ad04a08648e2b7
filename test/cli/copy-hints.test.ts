// Which side of a copy a failure is about, and the side's own flags in its hints: --insecure and
// --cert-dir reach both sides of a copy, --src-/--dest-tls-verify and --src-/--dest-cert-dir one.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { sideOfFailure, withSideHints } from "../../src/cli/copy-hints.js";
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
  const sides = { src: "src.example", dst: "dst.example" };

  test("a copy error names its side; any other error is placed by the registry it names", () => {
    const cause = unreachable("dst.example", untrustedCertificateHint());
    assert.equal(
      sideOfFailure(new CopyError("destination", "dst", DESC, cause), sides),
      "destination",
    );
    assert.equal(sideOfFailure(unreachable("src.example", "x"), sides), "source");
    assert.equal(sideOfFailure(unreachable("dst.example", "x"), sides), "destination");
    assert.equal(sideOfFailure(unreachable("other.example", "x"), sides), undefined);
    assert.equal(sideOfFailure(new Error("plain"), sides), undefined);
  });

  test("a registry on both sides places nothing: the hint for both sides stays", () => {
    const same = { src: "one.example", dst: "one.example" };
    const err = unreachable("one.example", untrustedCertificateHint());
    assert.equal(sideOfFailure(err, same), undefined);
    assert.match((withSideHints(err, same) as Error).message, /or --insecure to skip/);
  });

  test("an untrusted certificate names the side's --tls-verify=false, a client certificate its --cert-dir", () => {
    const src = withSideHints(unreachable("src.example", untrustedCertificateHint()), sides);
    assert.match((src as Error).message, /, or --src-tls-verify=false to skip verification$/);
    const dst = new CopyError(
      "destination",
      "dst.example/app",
      DESC,
      unreachable("dst.example", clientCertificateHint()),
    );
    assert.match((withSideHints(dst, sides) as Error).message, /or pass --dest-cert-dir$/);
  });

  test("other failures keep their words", () => {
    const err = new OcicompatError("NOT_FOUND", "manifest unknown", { subject: "src.example" });
    assert.equal((withSideHints(err, sides) as Error).message, "manifest unknown");
  });
});
