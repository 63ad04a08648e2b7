// Blobs pass through unchanged: streamed from the upstream as they arrive, checked against their
// digest on the way. A whole-blob answer holds back its last chunk until the digest is proven, so
// a client never sees a wrong blob end cleanly: on a mismatch the stream fails and the server
// breaks the connection. Range requests go upstream as asked (the part a client asks for cannot
// be checked alone; the client checks the whole it assembles). Redirects to blob storage are
// followed by the upstream client, which never sends credentials to another host; the client's
// own headers, Authorization included, are never forwarded.
import { Readable, Transform } from "node:stream";
import { pullScope } from "../../content/auth/index.js";
import type { ContentCache } from "../../content/cache.js";
import { createDigester, registeredAlgorithmOf } from "../../oci/digest.js";
import { OcicompatError } from "../../oci/errors.js";
import type { RegistryStore } from "../../content/registry/index.js";

export interface BlobAnswer {
  status: number;
  headers: Record<string, string>;
  /** Absent for HEAD. */
  body?: Readable;
  /** Served from the on-disk cache. */
  fromCache: boolean;
}

export interface BlobRequest {
  method: "GET" | "HEAD";
  digest: string;
  /** The client's Range header, passed on as it is. */
  range?: string;
  signal: AbortSignal;
}

const PASSED_HEADERS = ["content-type", "content-length", "content-range", "accept-ranges", "etag"];

/**
 * A stream that passes bytes through while checking them against `digest` (and `length` when
 * known), releasing the last chunk only once the whole has been checked. A Transform, not an
 * async generator: blobs are large, and Node's streams move them with far less work per chunk.
 */
export function verifyingWhole(
  digest: string,
  length: number | undefined,
  onVerified?: (chunks: readonly Uint8Array[]) => void,
): Transform {
  const digester = createDigester(registeredAlgorithmOf(digest));
  const kept: Uint8Array[] | undefined = onVerified === undefined ? undefined : [];
  let held: Buffer | undefined;
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.byteLength;
      if (length !== undefined && seen > length) {
        callback(
          new OcicompatError("SIZE_MISMATCH", `blob is longer than the announced ${length} bytes`, {
            subject: digest,
          }),
        );
        return;
      }
      digester.update(chunk);
      kept?.push(chunk);
      const previous = held;
      held = chunk;
      callback(null, previous);
    },
    flush(callback) {
      if (length !== undefined && seen !== length) {
        callback(
          new OcicompatError("SIZE_MISMATCH", `blob is ${seen} bytes, announced ${length}`, {
            subject: digest,
          }),
        );
        return;
      }
      const actual = digester.digest();
      if (actual !== digest) {
        callback(
          new OcicompatError("DIGEST_MISMATCH", `blob content is ${actual}, not ${digest}`, {
            subject: digest,
          }),
        );
        return;
      }
      if (kept !== undefined) onVerified?.(kept);
      callback(null, held);
    },
  });
}

/** `source` through `transform`, with the source's failure and the transform's end linked. */
function through(source: Readable, transform: Transform): Readable {
  source.once("error", (err) => transform.destroy(err));
  // A reader that gives up (the client went away) lets go of the upstream connection too.
  transform.once("close", () => {
    if (!source.destroyed) source.destroy();
  });
  return source.pipe(transform);
}

/** Answers a blob request from `cache` (whole blobs only) or from the upstream repository. */
export async function answerBlob(
  store: RegistryStore,
  request: BlobRequest,
  cache: ContentCache | undefined,
): Promise<BlobAnswer> {
  const { digest, signal } = request;
  registeredAlgorithmOf(digest);
  if (cache !== undefined && request.range === undefined) {
    const bytes = await cache.get(digest);
    if (bytes !== undefined) {
      const headers = {
        "content-type": "application/octet-stream",
        "content-length": String(bytes.byteLength),
        "docker-content-digest": digest,
        "accept-ranges": "bytes",
      };
      return {
        status: 200,
        headers,
        fromCache: true,
        ...(request.method === "GET" ? { body: Readable.from([bytes]) } : {}),
      };
    }
  }
  const res = await store.client.request({
    method: request.method,
    url: `/v2/${store.repository}/blobs/${digest}`,
    headers: request.range === undefined ? {} : { range: request.range },
    scopes: [pullScope(store.repository)],
    accept: [200, 206, 416],
    context: { repository: store.repository, reference: digest, what: "blob" },
    signal,
  });
  const headers: Record<string, string> = { "docker-content-digest": digest };
  for (const name of PASSED_HEADERS) {
    const value = res.header(name);
    if (value !== undefined) headers[name] = value;
  }
  if (request.method === "HEAD" || res.status === 416) {
    await res.body.dump().catch(() => undefined);
    // A GET answered without a body must not announce one: the client would read the next
    // response on the connection as this one's body. A HEAD keeps the length it describes.
    if (request.method !== "HEAD") headers["content-length"] = "0";
    return { status: res.status, headers, fromCache: false };
  }
  if (res.status === 206) return { status: 206, headers, body: res.body, fromCache: false };
  const length =
    headers["content-length"] === undefined ? undefined : Number(headers["content-length"]);
  const fill =
    cache !== undefined && length !== undefined && length <= cache.maxEntryBytes
      ? (chunks: readonly Uint8Array[]) =>
          void cache.put(digest, Buffer.concat(chunks)).catch(() => undefined)
      : undefined;
  return {
    status: 200,
    headers,
    body: through(
      res.body,
      verifyingWhole(digest, Number.isSafeInteger(length) ? length : undefined, fill),
    ),
    fromCache: false,
  };
}
