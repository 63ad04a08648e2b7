// What the node labels of a cluster can say: NFD's label names and how it spells values. The
// tables themselves live with the NFD label export (src/node/nfd); this pure layer receives them,
// so the affinity and the export never disagree about a name.

export interface NfdVocabulary {
  /** `feature.node.kubernetes.io/` */
  readonly prefix: string;
  /** A canonical CPU feature's NFD name (`cpu-cpuid.<name>`), or undefined when NFD hides it. */
  cpuFlag(canonical: string): string | undefined;
  /** A vendor as written in a value → NFD's `cpu-model.vendor_id`, or undefined when unknown. */
  vendor(written: string): string | undefined;
  /** Kernel options NFD labels (`kernel-config.<option>`). */
  readonly kernelConfig: ReadonlySet<string>;
}

export const ARCH_LABEL = "kubernetes.io/arch";
export const OS_LABEL = "kubernetes.io/os";
