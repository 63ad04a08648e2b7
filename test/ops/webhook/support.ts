// Webhook test support: a self-signed certificate (test/support/certificate.ts), an HTTPS client
// that trusts only it, and the fixtures of test/fixtures/admission with their images replaced.
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";

export { makeCertificate } from "../../support/certificate.js";

export interface HttpsAnswer {
  status: number;
  body: string;
  /** SHA-256 fingerprint of the certificate the server presented. */
  fingerprint: string;
}

export function post(
  port: number,
  ca: string,
  path: string,
  body: string,
  method = "POST",
): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path,
        method,
        ca: readFileSync(ca),
        agent: false,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString("utf8"),
            fingerprint: (res.socket as TLSSocket).getPeerCertificate().fingerprint256,
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const FIXTURES = "test/fixtures/admission";

/** A fixture review with its containers' images replaced, in order. */
export function review(name: string, images: readonly string[]): Record<string, unknown> {
  const doc = JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), "utf8")) as Record<
    string,
    unknown
  >;
  let i = 0;
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (typeof value === "object" && value !== null) {
      const o = value as Record<string, unknown>;
      if (typeof o["image"] === "string" && typeof o["name"] === "string") {
        o["image"] = images[i++ % images.length];
      }
      Object.values(o).forEach(visit);
    }
  };
  visit((doc["request"] as Record<string, unknown>)["object"]);
  return doc;
}
