// A layer blob's bytes as its uncompressed tar stream: gzip through node:zlib, zstd through fzstd
// (Node 20 has no zstd of its own), a plain tar as it is. Streams throughout: memory stays at a
// few chunks whatever the layer's size.
import { Readable, Transform, type TransformCallback } from "node:stream";
import { createGunzip } from "node:zlib";
import { Decompress } from "fzstd";
import { OcicompatError, errorMessage } from "../../oci/errors.js";
import { MediaType } from "../../oci/media-types.js";

export type LayerCompression = "gzip" | "zstd" | "none";

const BY_MEDIA_TYPE: Readonly<Record<string, LayerCompression>> = {
  [MediaType.ImageLayer]: "none",
  [MediaType.ImageLayerGzip]: "gzip",
  [MediaType.ImageLayerZstd]: "zstd",
  [MediaType.ImageLayerNonDistributable]: "none",
  [MediaType.ImageLayerNonDistributableGzip]: "gzip",
  [MediaType.ImageLayerNonDistributableZstd]: "zstd",
  "application/vnd.docker.image.rootfs.diff.tar.gzip": "gzip",
  "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip": "gzip",
};

/** The compression a layer media type names, or undefined when it is not a tar layer. */
export function compressionOf(mediaType: string): LayerCompression | undefined {
  return BY_MEDIA_TYPE[mediaType];
}

/** fzstd's streaming decompressor as a Transform. */
function zstdTransform(): Transform {
  let out: Uint8Array[] = [];
  const decoder = new Decompress((chunk) => {
    out.push(chunk);
  });
  const flush = (self: Transform): void => {
    for (const c of out) self.push(c);
    out = [];
  };
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      try {
        decoder.push(chunk);
        flush(this);
        done();
      } catch (err) {
        done(err as Error);
      }
    },
    flush(done: TransformCallback) {
      try {
        decoder.push(new Uint8Array(0), true);
        flush(this);
        done();
      } catch (err) {
        done(err as Error);
      }
    },
  });
}

/** The uncompressed tar stream of `source`, a layer blob compressed as `compression` says. */
export function decompressed(
  source: AsyncIterable<Uint8Array>,
  compression: LayerCompression,
): Readable {
  const input = Readable.from(source, { objectMode: false });
  if (compression === "none") return input;
  const transform =
    compression === "gzip" ? createGunzip({ chunkSize: 64 * 1024 }) : zstdTransform();
  // A digest or size mismatch found while reading the blob ends the stream with that error.
  input.on("error", (err) => transform.destroy(err));
  transform.on("close", () => input.destroy());
  return input.pipe(transform);
}

/** A decompressor's own error (corrupt data) as what it means for the layer. */
export function layerError(err: unknown, compression: LayerCompression, subject: string): unknown {
  if (err instanceof OcicompatError) return err;
  const message = errorMessage(err);
  return new OcicompatError(
    "VALIDATION",
    `the layer could not be read as ${compression === "none" ? "a tar" : `${compression}-compressed tar`}: ${message}`,
    { subject, cause: err },
  );
}
