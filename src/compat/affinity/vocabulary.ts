// What the node labels of a cluster can say: NFD's label names and how it spells values. The
// tables themselves live with the NFD label export (src/node/nfd); this pure layer receives them,
// so the affinity and the export never disagree about a name.

export interface NfdVocabulary {
  /** `feature.node.kubernetes.io/` */
  readonly prefix: string;
  /**
   * The CPU flags NFD labels on nodes of an architecture (`cpu-cpuid.<name>`): canonical name →
   * NFD's name, flags its default configuration hides left out; undefined when NFD's names for
   * the architecture are unknown. Architectures whose nodes name flags alike share one object.
   */
  cpuFlags(architecture: string): ReadonlyMap<string, string> | undefined;
  /** A vendor as written in a value → NFD's `cpu-model.vendor_id`, or undefined when unknown. */
  vendor(written: string): string | undefined;
  /** Kernel options NFD labels (`kernel-config.<option>`). */
  readonly kernelConfig: ReadonlySet<string>;
}

export const ARCH_LABEL = "kubernetes.io/arch";
export const OS_LABEL = "kubernetes.io/os";
