// Parse + validate of a 4 MiB image index with many entries (the manifest size limit), against
// JSON.parse alone as the baseline.
import { validateDocument } from "../src/compat/document.js";
import { computeDigest } from "../src/oci/digest.js";
import { parseIJson } from "../src/oci/ijson.js";
import { MediaType } from "../src/oci/media-types.js";
import { measure, type Measurement } from "./harness.js";

export function buildLargeIndex(targetBytes: number): Uint8Array {
  const entries: unknown[] = [];
  const encoder = new TextEncoder();
  const arches = ["amd64", "arm64", "ppc64le", "s390x"];
  let size = 0;
  for (let i = 0; size < targetBytes - 2048; i++) {
    const entry = {
      mediaType: MediaType.ImageManifest,
      digest: computeDigest(encoder.encode(`image ${i}`)),
      size: 1000 + i,
      platform: {
        architecture: arches[i % arches.length],
        os: "linux",
        ...(i % 3 === 0 ? { features: ["avx2", "bmi2"] } : {}),
        ...(i % 2 === 0
          ? {
              compatibilities: {
                mediaType: MediaType.ImageManifest,
                digest: computeDigest(encoder.encode(`compat ${i}`)),
                size: 600,
              },
            }
          : {}),
      },
      annotations: { "org.opencontainers.image.ref.name": `variant-${i}` },
    };
    size += JSON.stringify(entry).length + 1;
    entries.push(entry);
  }
  const bytes = encoder.encode(
    JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ImageIndex, manifests: entries }),
  );
  if (bytes.byteLength > targetBytes) throw new Error("index grew past the target");
  return bytes;
}

export function run(): Measurement[] {
  const bytes = buildLargeIndex(4 * 1024 * 1024);
  const mb = bytes.byteLength / 1e6;
  const text = new TextDecoder().decode(bytes);
  const entries = (JSON.parse(text) as { manifests: unknown[] }).manifests.length;
  const rate = (ms: number): string => `${(mb / (ms / 1000)).toFixed(0)} MB/s`;

  const baseline = measure(() => JSON.parse(text));
  const parse = measure(() => parseIJson(bytes));
  const full = measure(() => {
    const doc = parseIJson(bytes);
    const report = validateDocument("index", doc.value);
    if (report.errors.length > 0) throw new Error(report.errors[0]?.message);
  });
  const note = `${entries} entries, ${mb.toFixed(2)} MB`;
  return [
    { name: `JSON.parse (baseline; ${note})`, ...baseline, figure: rate(baseline.medianMs) },
    {
      name: "ocicompat parseIJson (I-JSON checks + sha256)",
      ...parse,
      figure: `${rate(parse.medianMs)} (${(parse.medianMs / baseline.medianMs).toFixed(1)}x baseline)`,
    },
    {
      name: "ocicompat parse + validate index",
      ...full,
      figure: `${rate(full.medianMs)} (${(full.medianMs / baseline.medianMs).toFixed(1)}x baseline)`,
    },
  ];
}
