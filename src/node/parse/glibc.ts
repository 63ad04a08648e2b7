// The GNU C library's version, found without running it: older distributions name the file
// libc-2.31.so; every glibc carries the banner it prints when executed ("GNU C Library (Ubuntu
// GLIBC 2.35-0ubuntu3.8) stable release version 2.35.").

const VERSION = /^\d+\.\d+(?:\.\d+)?$/;

/** `libc-2.31.so` → `2.31`. */
export function glibcVersionFromFileName(name: string): string | undefined {
  const m = /^libc-(\d+\.\d+(?:\.\d+)?)\.so$/.exec(name);
  return m?.[1];
}

const BANNER = Buffer.from("GNU C Library");
const BANNER_SPAN = 256;

/** The version in libc's banner string, or undefined when the bytes hold no banner. */
export function glibcVersionFromBytes(bytes: Uint8Array): string | undefined {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = buffer.indexOf(BANNER); at >= 0; at = buffer.indexOf(BANNER, at + 1)) {
    const end = Math.min(buffer.length, at + BANNER_SPAN);
    let stop = buffer.indexOf(0, at);
    if (stop < 0 || stop > end) stop = end;
    const text = buffer.toString("latin1", at, stop).split("\n")[0] ?? "";
    const version =
      / version (\d+\.\d+(?:\.\d+)?)/.exec(text)?.[1] ??
      /\bGLIBC (\d+\.\d+(?:\.\d+)?)/.exec(text)?.[1];
    if (version !== undefined && VERSION.test(version)) return version;
  }
  return undefined;
}
