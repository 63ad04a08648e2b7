// Real ELF files and images that contain them, for the infer tests and the bench: programs
// compiled here with the machine's gcc (x86-64-v3 with and without the ISA-needed note), an
// arm64 program assembled and linked with Debian's cross binutils, the machine's own libc.so.6
// and dynamic loader, packed into tar layers (gzip or zstd) with links and whiteouts, and built
// into images in memory, ready to copy into an OCI layout or a registry.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import * as tar from "tar-stream";
import { computeDigest } from "../../src/oci/digest.js";
import { MediaType } from "../../src/oci/media-types.js";
import { blob, type Blob } from "../content/layout-support.js";

export const HOST_LIBC = realpathSync("/lib/x86_64-linux-gnu/libc.so.6");
export const HOST_LOADER = realpathSync("/lib64/ld-linux-x86-64.so.2");

export interface Programs {
  dir: string;
  /** -march=x86-64-v3 -Wl,-z,x86-64-v3: carries GNU_PROPERTY_X86_ISA_1_NEEDED v3. */
  v3WithNote: string;
  /** -march=x86-64-v3 alone: AVX2 code, but no ISA-needed note survives the link. */
  v3WithoutNote: string;
  /** Plain gcc: baseline. */
  baseline: string;
  /** An AArch64 executable (cross binutils). */
  arm64: string;
  remove(): void;
}

const HELLO = '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n';
const ARM64_START = ".global _start\n_start:\n  mov x0, #0\n  mov x8, #93\n  svc #0\n";

export function compilePrograms(): Programs {
  const dir = mkdtempSync(join(tmpdir(), "ocicompat-elf-"));
  const src = join(dir, "hello.c");
  writeFileSync(src, HELLO);
  const gcc = (out: string, ...flags: string[]): string => {
    const file = join(dir, out);
    execFileSync("gcc", ["-O2", ...flags, "-o", file, src]);
    return file;
  };
  const asm = join(dir, "start.s");
  writeFileSync(asm, ARM64_START);
  execFileSync("aarch64-linux-gnu-as", ["-o", join(dir, "start.o"), asm]);
  const arm64 = join(dir, "hello-arm64");
  execFileSync("aarch64-linux-gnu-ld", ["-o", arm64, join(dir, "start.o")]);
  return {
    dir,
    v3WithNote: gcc("hello-v3-note", "-march=x86-64-v3", "-Wl,-z,x86-64-v3"),
    v3WithoutNote: gcc("hello-v3", "-march=x86-64-v3"),
    baseline: gcc("hello"),
    arm64,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export type TarItem =
  | { path: string; file: string }
  | { path: string; content: string | Buffer }
  | { path: string; symlink: string }
  | { path: string; hardlink: string }
  | { path: string; dir: true };

/** A tar stream of `items`, in order (whiteouts are plain files named `.wh.NAME`). */
export async function tarOf(items: readonly TarItem[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on("data", (c: Buffer) => chunks.push(c));
    pack.on("end", resolve);
    pack.on("error", reject);
  });
  for (const item of items) {
    const base = { name: item.path, mtime: new Date(0), uid: 0, gid: 0 };
    if ("symlink" in item) pack.entry({ ...base, type: "symlink", linkname: item.symlink });
    else if ("hardlink" in item) pack.entry({ ...base, type: "link", linkname: item.hardlink });
    else if ("dir" in item) pack.entry({ ...base, type: "directory", mode: 0o755 });
    else {
      const body = "file" in item ? readFileSync(item.file) : Buffer.from(item.content);
      pack.entry({ ...base, type: "file", mode: 0o755, size: body.length }, body);
    }
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export type Compression = "gzip" | "zstd" | "none";

export function compress(tarBytes: Buffer, compression: Compression): Blob {
  if (compression === "none") return blob(MediaType.ImageLayer, tarBytes);
  if (compression === "gzip") return blob(MediaType.ImageLayerGzip, gzipSync(tarBytes));
  const zstd = execFileSync("zstd", ["-q", "-c", "-3"], { input: tarBytes, maxBuffer: 1 << 30 });
  return blob(MediaType.ImageLayerZstd, zstd);
}

export interface EntrySpec {
  platform: { os: string; architecture: string; variant?: string };
  layers: { items: TarItem[]; compression: Compression }[];
  env?: string[];
  entrypoint?: string[];
  cmd?: string[];
}

export interface BuiltImage {
  blobs: Blob[];
  index: Blob;
  manifests: Blob[];
  layers: Blob[][];
}

/** An image index with one entry per spec; children come before parents in `blobs`. */
export async function buildImage(specs: readonly EntrySpec[]): Promise<BuiltImage> {
  const blobs: Blob[] = [];
  const manifests: Blob[] = [];
  const allLayers: Blob[][] = [];
  for (const spec of specs) {
    const layers: Blob[] = [];
    const diffIds: string[] = [];
    for (const l of spec.layers) {
      const tarBytes = await tarOf(l.items);
      diffIds.push(computeDigest(tarBytes));
      layers.push(compress(tarBytes, l.compression));
    }
    const config = blob(
      MediaType.ImageConfig,
      JSON.stringify({
        ...spec.platform,
        config: {
          Env: spec.env ?? ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
          ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
          ...(spec.cmd ? { Cmd: spec.cmd } : {}),
        },
        rootfs: { type: "layers", diff_ids: diffIds },
      }),
    );
    const manifest = blob(
      MediaType.ImageManifest,
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ImageManifest,
        config: config.desc,
        layers: layers.map((l) => l.desc),
      }),
    );
    blobs.push(...layers, config, manifest);
    manifests.push(manifest);
    allLayers.push(layers);
  }
  const index = blob(
    MediaType.ImageIndex,
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ImageIndex,
      manifests: manifests.map((m, i) => ({ ...m.desc, platform: specs[i]!.platform })),
    }),
  );
  blobs.push(index);
  return { blobs, index, manifests, layers: allLayers };
}

/** A Debian-like base layer: merged /usr, the host's glibc and loader, a shell-like program. */
export function debianBase(programs: Programs): TarItem[] {
  return [
    { path: "bin", symlink: "usr/bin" },
    { path: "lib", symlink: "usr/lib" },
    { path: "lib64", symlink: "usr/lib64" },
    { path: "usr/lib/x86_64-linux-gnu/libc.so.6", file: HOST_LIBC },
    { path: "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", file: HOST_LOADER },
    {
      path: "usr/lib64/ld-linux-x86-64.so.2",
      symlink: "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
    },
    { path: "usr/bin/sh", file: programs.baseline },
    { path: "etc/os-release", content: "ID=debian\n" },
  ];
}

/** The NVIDIA_REQUIRE_CUDA of NVIDIA's CUDA 12.8.1 images, as their published config carries it. */
export const NVIDIA_REQUIRE_CUDA_12_8 =
  "cuda>=12.8 brand=unknown,driver>=470,driver<471 brand=grid,driver>=470,driver<471 brand=tesla,driver>=470,driver<471 brand=nvidia,driver>=470,driver<471 brand=quadro,driver>=470,driver<471 brand=quadrortx,driver>=470,driver<471 brand=nvidiartx,driver>=470,driver<471 brand=vapps,driver>=470,driver<471 brand=vpc,driver>=470,driver<471 brand=vcs,driver>=470,driver<471 brand=vws,driver>=470,driver<471 brand=cloudgaming,driver>=470,driver<471 brand=unknown,driver>=535,driver<536 brand=grid,driver>=535,driver<536 brand=tesla,driver>=535,driver<536 brand=nvidia,driver>=535,driver<536 brand=quadro,driver>=535,driver<536 brand=quadrortx,driver>=535,driver<536 brand=nvidiartx,driver>=535,driver<536 brand=vapps,driver>=535,driver<536 brand=vpc,driver>=535,driver<536 brand=vcs,driver>=535,driver<536 brand=vws,driver>=535,driver<536 brand=cloudgaming,driver>=535,driver<536 brand=unknown,driver>=550,driver<551 brand=grid,driver>=550,driver<551 brand=tesla,driver>=550,driver<551 brand=nvidia,driver>=550,driver<551 brand=quadro,driver>=550,driver<551 brand=quadrortx,driver>=550,driver<551 brand=nvidiartx,driver>=550,driver<551 brand=vapps,driver>=550,driver<551 brand=vpc,driver>=550,driver<551 brand=vcs,driver>=550,driver<551 brand=vws,driver>=550,driver<551 brand=cloudgaming,driver>=550,driver<551 brand=unknown,driver>=560,driver<561 brand=grid,driver>=560,driver<561 brand=tesla,driver>=560,driver<561 brand=nvidia,driver>=560,driver<561 brand=quadro,driver>=560,driver<561 brand=quadrortx,driver>=560,driver<561 brand=nvidiartx,driver>=560,driver<561 brand=vapps,driver>=560,driver<561 brand=vpc,driver>=560,driver<561 brand=vcs,driver>=560,driver<561 brand=vws,driver>=560,driver<561 brand=cloudgaming,driver>=560,driver<561 brand=unknown,driver>=565,driver<566 brand=grid,driver>=565,driver<566 brand=tesla,driver>=565,driver<566 brand=nvidia,driver>=565,driver<566 brand=quadro,driver>=565,driver<566 brand=quadrortx,driver>=565,driver<566 brand=nvidiartx,driver>=565,driver<566 brand=vapps,driver>=565,driver<566 brand=vpc,driver>=565,driver<566 brand=vcs,driver>=565,driver<566 brand=vws,driver>=565,driver<566 brand=cloudgaming,driver>=565,driver<566";
