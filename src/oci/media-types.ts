// Media types ocicompat reads and writes. The compatibilities ones come from the OCI image
// compatibility working group's Proposals I and J.

export const MediaType = {
  ImageIndex: "application/vnd.oci.image.index.v1+json",
  ImageManifest: "application/vnd.oci.image.manifest.v1+json",
  ImageConfig: "application/vnd.oci.image.config.v1+json",
  ImageLayer: "application/vnd.oci.image.layer.v1.tar",
  ImageLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  ImageLayerZstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  ImageLayerNonDistributable: "application/vnd.oci.image.layer.nondistributable.v1.tar",
  ImageLayerNonDistributableGzip: "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
  ImageLayerNonDistributableZstd: "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
  Empty: "application/vnd.oci.empty.v1+json",
  LayoutHeader: "application/vnd.oci.layout.header.v1+json",
  /** Proposal J blob, and the artifactType of the compat manifests ocicompat writes. */
  Compatibilities: "application/vnd.oci.image.compatibilities.v1+json",
  DockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  DockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  DockerConfig: "application/vnd.docker.container.image.v1+json",
  NfdImageCompatibility: "application/vnd.nfd.image-compatibility.v1alpha1",
} as const;

export type KnownMediaType = (typeof MediaType)[keyof typeof MediaType];

/** The spec's portable empty blob: `{}`. */
export const EmptyDescriptor = {
  mediaType: MediaType.Empty,
  digest: "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
  size: 2,
  data: "e30=",
} as const;

export const ImageLayerMediaTypes: ReadonlySet<string> = new Set([
  MediaType.ImageLayer,
  MediaType.ImageLayerGzip,
  MediaType.ImageLayerZstd,
  MediaType.ImageLayerNonDistributable,
  MediaType.ImageLayerNonDistributableGzip,
  MediaType.ImageLayerNonDistributableZstd,
]);

export const ManifestMediaTypes: ReadonlySet<string> = new Set([
  MediaType.ImageManifest,
  MediaType.DockerManifest,
]);

export const IndexMediaTypes: ReadonlySet<string> = new Set([
  MediaType.ImageIndex,
  MediaType.DockerManifestList,
]);

/** RFC 6838 shape, as the image-spec schema checks it. */
export const MEDIA_TYPE_PATTERN =
  /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;
