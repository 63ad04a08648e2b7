// Image → its affinity, cached for the webhook (DESIGN §10): a tag's digest for a TTL, and each
// digest's affinity for as long as it stays in the bounded cache, one registry read per digest
// however many pods ask at once (the first request's read is shared). Only allowed registries are
// contacted (SSRF): a pod spec is user input.
import type { ImageAffinity } from "../../compat/affinity/index.js";
import type { LabelCatalog } from "../../compat/catalog.js";
import { raceCancellation } from "../../content/cancel.js";
import type { StoreOpener } from "../../content/open.js";
import type { ContentDescriptor, Store } from "../../content/store.js";
import { OcicompatError } from "../../oci/errors.js";
import { formatReference, parseReference } from "../../oci/reference.js";
import { imageAffinityAt, resolveImage } from "../affinity.js";

export interface ImageCacheOptions {
  opener: StoreOpener;
  catalog: LabelCatalog;
  /** Registry hosts (`host[:port]`) that may be contacted; `*` allows every one. */
  allowRegistries: readonly string[];
  /** How long a tag's digest is trusted; default 60 s. */
  tagTtlMs?: number;
  /** Digests whose affinity is kept; default 1000. */
  maxImages?: number;
  /** Deadline of one shared registry read; default 5 s. */
  readTimeoutMs?: number;
  now?: () => number;
  /** Called for every read that reaches the registry, for metrics. */
  onRead?: (kind: "tag" | "image") => void;
}

export interface ResolvedImage {
  /** `registry/repo@digest` */
  pinned: string;
  digest: string;
  affinity: ImageAffinity;
}

function timeoutSignal(ms: number, subject: string): AbortSignal {
  const controller = new AbortController();
  const timer = setTimeout(
    () =>
      controller.abort(
        new OcicompatError("TIMEOUT", `no answer from the registry within ${ms} ms`, { subject }),
      ),
    ms,
  );
  timer.unref();
  return controller.signal;
}

export class ImageCache {
  private readonly tags = new Map<
    string,
    { root: Promise<{ store: Store; root: ContentDescriptor }>; expires: number }
  >();
  private readonly images = new Map<string, Promise<ImageAffinity>>();
  private readonly allowAll: boolean;
  private readonly allowed: ReadonlySet<string>;

  constructor(private readonly options: ImageCacheOptions) {
    this.allowAll = options.allowRegistries.includes("*");
    this.allowed = new Set(options.allowRegistries.map((h) => h.toLowerCase()));
  }

  private get now(): number {
    return (this.options.now ?? Date.now)();
  }

  /**
   * The image's affinity; rejects with the request's own deadline when `signal` fires first.
   * `recorded` is the digest an earlier review pinned a tag to: used instead of the tag, so that an
   * update of a workload does not re-pin images it did not change.
   */
  async get(image: string, signal?: AbortSignal, recorded?: string): Promise<ResolvedImage> {
    const written = parseReference(image);
    const ref =
      recorded !== undefined && written.scheme === "registry" && written.digest === undefined
        ? { ...written, digest: recorded }
        : written;
    if (ref.scheme !== "registry") {
      throw new OcicompatError("USAGE", "only registry references are resolved", {
        subject: image,
      });
    }
    if (!this.allowAll && !this.allowed.has(ref.registry.toLowerCase())) {
      throw new OcicompatError(
        "USAGE",
        `registry ${ref.registry} is not allowed (--allow-registry)`,
        { subject: image },
      );
    }
    const repo = `${ref.registry}/${ref.repository}`;
    const { store, root } = await raceCancellation(
      this.resolve(formatReference(ref), repo, ref.tag, ref.digest),
      signal,
    );
    const pinned = `${repo}@${root.digest}`;
    let read = this.images.get(pinned);
    if (read === undefined) {
      this.options.onRead?.("image");
      read = imageAffinityAt(store, root, image, {
        catalog: this.options.catalog,
        signal: timeoutSignal(this.options.readTimeoutMs ?? 5000, pinned),
      });
      this.remember(pinned, read);
    }
    const affinity = await raceCancellation(read, signal);
    return { pinned, digest: root.digest, affinity };
  }

  private remember(key: string, read: Promise<ImageAffinity>): void {
    this.images.set(key, read);
    // A failed read is forgotten, so the next pod tries again.
    read.catch(() => {
      if (this.images.get(key) === read) this.images.delete(key);
    });
    const max = this.options.maxImages ?? 1000;
    while (this.images.size > max) {
      const oldest = this.images.keys().next().value as string;
      this.images.delete(oldest);
    }
  }

  private resolve(
    image: string,
    repo: string,
    tag: string | undefined,
    digest: string | undefined,
  ): Promise<{ store: Store; root: ContentDescriptor }> {
    // A digest names the content: only its media type and size are asked for, once.
    const key = digest !== undefined ? `${repo}@${digest}` : `${repo}:${tag ?? "latest"}`;
    const cached = this.tags.get(key);
    if (cached !== undefined && (digest !== undefined || cached.expires > this.now)) {
      return cached.root;
    }
    this.options.onRead?.("tag");
    const root = resolveImage(
      this.options.opener,
      image,
      timeoutSignal(this.options.readTimeoutMs ?? 5000, image),
    );
    const entry = { root, expires: this.now + (this.options.tagTtlMs ?? 60_000) };
    this.tags.set(key, entry);
    root.catch(() => {
      if (this.tags.get(key) === entry) this.tags.delete(key);
    });
    // Expired tags are dropped as new ones come in, so the map stays as large as what is in use.
    if (this.tags.size > (this.options.maxImages ?? 1000)) {
      for (const [k, v] of this.tags) if (v.expires <= this.now) this.tags.delete(k);
    }
    return root;
  }
}
