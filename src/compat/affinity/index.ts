// Compatibility sets as Kubernetes nodeAffinity over NFD's node labels (docs/kubernetes.md).
export type { NfdVocabulary } from "./vocabulary.js";
export { ARCH_LABEL, OS_LABEL } from "./vocabulary.js";
export type { Fidelity, LabelTranslation } from "./translation.js";
export { translateLabel, VERSION_KEYS } from "./labels.js";
export type {
  AffinityFinding,
  AffinityResult,
  ImageAffinity,
  ImageAffinityInput,
} from "./image.js";
export { combineImages, imageAffinity, termsOf } from "./image.js";
export type { Constraint, Dnf, Term } from "./terms.js";
export {
  and,
  andAll,
  MAX_TERMS,
  or,
  requirementHolds,
  requirementsOf,
  simplify,
  termOf,
  TooManyTerms,
} from "./terms.js";
export { nodeSelectorTermMatches, nodeAffinityAdmits } from "./match.js";
