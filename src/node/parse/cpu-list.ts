// Kernel CPU and node lists such as /sys/devices/system/cpu/online: `0-63`, `0,2-5,8`.

/** How many entries a list names; undefined when the text is not such a list. */
export function countIdList(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === "") return 0;
  let count = 0;
  for (const part of trimmed.split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (m === null) return undefined;
    const low = Number(m[1]);
    const high = m[2] === undefined ? low : Number(m[2]);
    if (high < low) return undefined;
    count += high - low + 1;
  }
  return count;
}
