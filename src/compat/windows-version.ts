// Windows `os.version` (`major.minor.build[.revision]`, e.g. `10.0.17763.5830`): which container
// builds a host runs, and which of them is closest. The rules are containerd's (containerd/platforms,
// platform_windows_compat.go), which follow Microsoft's version-compatibility table: a process-
// isolated container needs the host's own build, except that hosts from Windows Server 2022 on
// also run containers of the previous LTSC release up to their own build ("stable ABI"). Pure.

export interface WindowsVersion {
  major: number;
  minor: number;
  build: number;
  /** The update revision (4th part); absent when not given, e.g. in containerd's host spec. */
  revision?: number;
}

// Build numbers of the LTSC releases with a stable ABI, ascending (containerd's compatLTSCReleases).
const LTSC2022 = 20348;
const STABLE_ABI_LTSC = [LTSC2022, 26100];

/** `10.0.17763` or `10.0.17763.5830`; undefined for anything else. */
export function parseWindowsVersion(text: string): WindowsVersion | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,5})(?:\.(\d{1,9}))?$/.exec(text.trim());
  if (m === null) return undefined;
  const v: WindowsVersion = { major: Number(m[1]), minor: Number(m[2]), build: Number(m[3]) };
  if (m[4] !== undefined) v.revision = Number(m[4]);
  return v;
}

export function describeWindowsVersion(v: WindowsVersion): string {
  const base = `${v.major}.${v.minor}.${v.build}`;
  return v.revision === undefined ? base : `${base}.${v.revision}`;
}

/** The lowest container build a host build runs: its own before LTSC 2022, else the previous LTSC. */
function lowestRunnableBuild(hostBuild: number): number {
  if (hostBuild < LTSC2022) return hostBuild;
  let lowest = LTSC2022;
  for (const ltsc of STABLE_ABI_LTSC) if (hostBuild > ltsc) lowest = ltsc;
  return lowest;
}

/** Why a host does not run a container's build, or undefined when it does. The revision never matters. */
export function windowsRuns(host: WindowsVersion, entry: WindowsVersion): string | undefined {
  if (host.major !== entry.major || host.minor !== entry.minor) {
    return `Windows ${entry.major}.${entry.minor} is not the node's ${host.major}.${host.minor}`;
  }
  const lowest = lowestRunnableBuild(host.build);
  if (entry.build >= lowest && entry.build <= host.build) return undefined;
  return lowest === host.build
    ? `build ${entry.build} is not the node's build ${host.build} (before Windows Server 2022, a container needs the host's own build)`
    : `build ${entry.build} is outside the builds ${lowest} to ${host.build} that the node's build runs`;
}

/**
 * Negative when entry `a` is closer to the host than `b` (both run on it): the nearer build
 * first (the host's own before an older LTSC), then the nearer revision; at equal distance, or
 * when the host's revision is unknown, the higher revision (containerd picks the highest). A
 * version without a revision comes after those with one. With the host's version unknown, every
 * build matches and the highest is taken, as containerd does.
 */
export function compareWindowsCloseness(
  host: WindowsVersion | undefined,
  a: WindowsVersion,
  b: WindowsVersion,
): number {
  if (a.build !== b.build) return b.build - a.build;
  if (a.revision === undefined || b.revision === undefined) {
    return (a.revision === undefined ? 1 : 0) - (b.revision === undefined ? 1 : 0);
  }
  if (host?.revision !== undefined) {
    const da = Math.abs(a.revision - host.revision);
    const db = Math.abs(b.revision - host.revision);
    if (da !== db) return da - db;
  }
  return b.revision - a.revision;
}
