// Collects facts from one source that reports them piece by piece (a features.d file, a hook,
// an NFD export): set facts accumulate, single values are replaced by later ones.
import type { Fact } from "../compat/label-types.js";
import { recordOf } from "../compat/own-record.js";
import { setFact } from "./set-fact.js";

export class FactAccumulator {
  private readonly facts = new Map<string, Fact>();
  private readonly origins = new Map<string, string[]>();

  add(label: string, fact: Fact, origin: string): void {
    const earlier = this.facts.get(label);
    if (Array.isArray(earlier) && Array.isArray(fact)) {
      this.facts.set(label, [...earlier, ...fact]);
      const origins = this.origins.get(label) ?? [];
      if (!origins.includes(origin)) origins.push(origin);
      this.origins.set(label, origins);
    } else {
      this.facts.set(label, Array.isArray(fact) ? [...fact] : fact);
      this.origins.set(label, [origin]);
    }
  }

  has(label: string): boolean {
    return this.facts.has(label);
  }

  get size(): number {
    return this.facts.size;
  }

  /** Label → fact, set facts sorted and without duplicates. */
  toRecord(): Record<string, Fact> {
    return recordOf(
      [...this.facts].map(([label, fact]) => [label, Array.isArray(fact) ? setFact(fact) : fact]),
    );
  }

  /** Where a label's fact came from, e.g. `cpu.cpuid` or `rack.conf, site.conf`. */
  origin(label: string): string | undefined {
    return this.origins.get(label)?.join(", ");
  }
}
