// A throwaway self-signed certificate for in-test HTTPS servers, made with openssl (P-256, one
// day, valid for 127.0.0.1, localhost and any `dnsNames` given): the certificate is its own CA, so
// a client trusts the server through a CA file holding it.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

export function makeCertificate(
  dir: string,
  name = "cert",
  dnsNames: readonly string[] = [],
): { cert: string; key: string } {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}-key.pem`);
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "1",
      "-subj",
      `/CN=ocicompat-webhook-${name}`,
      "-addext",
      `subjectAltName=${["IP:127.0.0.1", "DNS:localhost", ...dnsNames.map((n) => `DNS:${n}`)].join(",")}`,
    ],
    { stdio: "ignore" },
  );
  return { cert, key };
}

/**
 * A throwaway CA and a client certificate it issued (P-256, one day, extended key usage
 * clientAuth, which Go's TLS server requires of a client certificate), for mutual-TLS tests.
 */
export function makeClientCertificate(dir: string): { ca: string; cert: string; key: string } {
  const ca = join(dir, "client-ca.pem");
  const caKey = join(dir, "client-ca-key.pem");
  const cert = join(dir, "client.cert");
  const key = join(dir, "client.key");
  const csr = join(dir, "client.csr");
  const ext = join(dir, "client-ext.cnf");
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  const run = (args: string[]): void => void execFileSync("openssl", args, { stdio: "ignore" });
  run([
    "req",
    "-x509",
    ...ec,
    "-keyout",
    caKey,
    "-out",
    ca,
    "-days",
    "1",
    "-subj",
    "/CN=ocicompat-client-ca",
  ]);
  run(["req", ...ec, "-keyout", key, "-out", csr, "-subj", "/CN=ocicompat-client"]);
  writeFileSync(ext, "extendedKeyUsage=clientAuth\n");
  run([
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    ca,
    "-CAkey",
    caKey,
    "-CAcreateserial",
    "-out",
    cert,
    "-days",
    "1",
    "-extfile",
    ext,
  ]);
  return { ca, cert, key };
}
