// A throwaway self-signed certificate for in-test HTTPS servers, made with openssl (P-256, one
// day, valid for 127.0.0.1, localhost and any `dnsNames` given): the certificate is its own CA, so
// a client trusts the server through a CA file holding it.
import { execFileSync } from "node:child_process";
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
