// What translating one label's value gives: node selector terms and how faithful they are to the
// value. Its own module because labels.ts and ordered-terms.ts both build translations.
import { ANY_NODE, type Dnf } from "./terms.js";

export type Fidelity = "exact" | "approximate" | "inexpressible";

export interface LabelTranslation {
  dnf: Dnf;
  fidelity: Fidelity;
  /** Why it is not exact, said precisely enough to act on. */
  reason?: string;
}

export const exact = (dnf: Dnf): LabelTranslation => ({ dnf, fidelity: "exact" });
export const inexpressible = (reason: string): LabelTranslation => ({
  dnf: ANY_NODE,
  fidelity: "inexpressible",
  reason,
});
