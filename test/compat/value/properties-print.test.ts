// Properties of print(): for version, quantity, set and string values it is a canonical fixed
// point, and compiled values keep the meaning of random ranges and pattern lists.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { VersionModel } from "./arbitraries.js";
import {
  inSpan,
  modelText,
  mustCompile,
  referenceCompare,
  run,
  sign,
  valueText,
  versionModel,
  versionWithText,
} from "./arbitraries.js";

/** Random whitespace drawn from a pre-generated list, so renderings stay deterministic per run. */
function spacer(pool: readonly string[]): () => string {
  let i = 0;
  return () => pool[i++ % pool.length] ?? "";
}
const spacePool = fc.array(fc.constantFrom("", "", " ", "  ", "\t"), {
  minLength: 64,
  maxLength: 64,
});

// ---- range ASTs for round trips ------------------------------------------------------------

type Term<V> =
  | { kind: "compare"; op: ">=" | ">" | "<=" | "<" | "=" | "!="; v: V }
  | { kind: "bare"; v: V }
  | { kind: "interval"; lo: V | null; hi: V | null; open: "[" | "("; close: "]" | ")" };
type Range<V> = Term<V>[][];

function rangeArb<V>(scalar: fc.Arbitrary<V>): fc.Arbitrary<Range<V>> {
  const term: fc.Arbitrary<Term<V>> = fc.oneof(
    fc.record({
      kind: fc.constant("compare" as const),
      op: fc.constantFrom(
        ">=" as const,
        ">" as const,
        "<=" as const,
        "<" as const,
        "=" as const,
        "!=" as const,
      ),
      v: scalar,
    }),
    fc.record({ kind: fc.constant("bare" as const), v: scalar }),
    fc.record({
      kind: fc.constant("interval" as const),
      lo: fc.option(scalar),
      hi: fc.option(scalar),
      open: fc.constantFrom("[" as const, "(" as const),
      close: fc.constantFrom("]" as const, ")" as const),
    }),
  );
  return fc.array(fc.array(term, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 });
}

function renderRange<V>(ast: Range<V>, text: (v: V) => string, sp: () => string): string {
  const renderTerm = (t: Term<V>): string => {
    switch (t.kind) {
      case "compare":
        return `${t.op}${sp()}${text(t.v)}`;
      case "bare":
        return text(t.v);
      case "interval":
        return `${t.open}${sp()}${t.lo === null ? "" : text(t.lo)}${sp()},${sp()}${t.hi === null ? "" : text(t.hi)}${sp()}${t.close}`;
    }
  };
  return (
    sp() +
    ast.map((alt) => alt.map(renderTerm).join(`${sp()},${sp()}`)).join(`${sp()}||${sp()}`) +
    sp()
  );
}

/**
 * The language's meaning, written directly from the spec rather than from the implementation:
 * `inSpan(s, x)` says whether x is among the values scalar s stands for, and every operator is
 * defined by that span (below it, in it, above it).
 */
function rangeHolds<V>(
  ast: Range<V>,
  x: V,
  cmp: (a: V, b: V) => number,
  inSpan: (s: V, x: V) => boolean,
): boolean {
  const below = (s: V): boolean => cmp(x, s) < 0;
  const above = (s: V): boolean => cmp(x, s) > 0 && !inSpan(s, x);
  const holds = (t: Term<V>): boolean => {
    switch (t.kind) {
      case "compare":
        return {
          ">=": !below(t.v),
          ">": above(t.v),
          "<=": !above(t.v),
          "<": below(t.v),
          "=": inSpan(t.v, x),
          "!=": !inSpan(t.v, x),
        }[t.op];
      case "bare":
        return inSpan(t.v, x);
      case "interval": {
        const lo = t.lo === null || (t.open === "[" ? !below(t.lo) : above(t.lo));
        const hi = t.hi === null || (t.close === "]" ? !above(t.hi) : below(t.hi));
        return lo && hi;
      }
    }
  };
  return ast.some((alt) => alt.every(holds));
}

function scalarsOf<V>(ast: Range<V>): V[] {
  return ast
    .flat()
    .flatMap((t) =>
      t.kind === "interval" ? [t.lo, t.hi].filter((s): s is V => s !== null) : [t.v],
    );
}

describe("print() is canonical and round-trips", () => {
  type VersionScalar = { model: VersionModel; text: string };
  const versionScalar: fc.Arbitrary<VersionScalar> = versionWithText(valueText);

  /** The ends of a short version's span and their neighbours: where a witness must lie. */
  function boundaryCandidates(m: VersionModel): VersionModel[] {
    const bump = (p: readonly number[]): number[] => [
      ...p.slice(0, -1),
      (p[p.length - 1] ?? 0) + 1,
    ];
    const ends: VersionModel[] = [m];
    if (m.pre === undefined) {
      const next = bump(m.release);
      ends.push({ release: next }, { release: next, pre: { rank: 0, n: [] } });
    } else {
      const { rank, n } = m.pre;
      ends.push(
        { release: m.release },
        { release: m.release, pre: { rank: rank + 1, n: [] } },
        { release: m.release, pre: { rank, n: bump(n.length === 0 ? [0] : n) } },
      );
    }
    // Just above each end, deeper than any written version.
    const deep = (x: VersionModel): VersionModel =>
      x.pre === undefined
        ? { release: [...x.release, 0, 0, 0, 0, 1] }
        : { release: x.release, pre: { rank: x.pre.rank, n: [...x.pre.n, 0, 0, 1] } };
    return ends.filter((e) => (e.pre?.rank ?? 0) <= 3).flatMap((e) => [e, deep(e)]);
  }

  test("version: compile → print → compile → print is a fixed point and meaning is kept", () => {
    fc.assert(
      fc.property(
        rangeArb(versionScalar),
        spacePool,
        fc.array(versionModel, { maxLength: 8 }),
        (ast, pool, xs) => {
          const source = renderRange(ast, (s) => s.text, spacer(pool));
          const first = mustCompile("version", source);
          const second = mustCompile("version", first.print());
          assert.equal(second.print(), first.print());
          assert.equal(second.satisfiable, first.satisfiable);
          // Every span is half-open and every bound starts at a span's end, so a satisfiable
          // value admits the least version, a written version or the end of one's span.
          const floor: VersionModel = { release: [0], pre: { rank: 0, n: [] } };
          const candidates = [
            floor,
            ...scalarsOf(ast).flatMap((s) => boundaryCandidates(s.model)),
            ...xs,
          ];
          let any = false;
          for (const c of candidates) {
            const expected = rangeHolds(
              ast,
              { model: c, text: modelText(c) },
              (a, b) => referenceCompare(a.model, b.model),
              (a, b) => inSpan(a.model, b.model),
            );
            const text = modelText(c);
            assert.equal(run("version", first, text), expected, `${source} on ${text}`);
            assert.equal(run("version", second, text), expected);
            any ||= expected;
          }
          assert.equal(first.satisfiable, any, `satisfiable of ${source}`);
        },
      ),
    );
  });

  const units: [string, number][] = [
    ["", 1],
    ["k", 1000],
    ["M", 1e6],
    ["Ki", 1024],
    ["Gi", 1024 ** 3],
  ];
  const quantityScalar: fc.Arbitrary<{ value: number; text: string }> = fc
    .tuple(fc.nat({ max: 9 }), fc.constantFrom(...units), fc.constantFrom("", " "))
    .map(([n, [unit, scale], gap]) => ({
      value: n * scale,
      text: `${n}${unit === "" ? "" : gap}${unit}`,
    }));

  test("quantity: compile → print → compile → print is a fixed point and meaning is kept", () => {
    fc.assert(
      fc.property(rangeArb(quantityScalar), spacePool, (ast, pool) => {
        const source = renderRange(ast, (s) => s.text, spacer(pool));
        const first = mustCompile("quantity", source);
        const second = mustCompile("quantity", first.print());
        assert.equal(second.print(), first.print());
        // Quantities are dense too: every boundary, the midpoints between them, and beyond.
        const values = [...new Set(scalarsOf(ast).map((s) => s.value))].sort((a, b) => a - b);
        const candidates = [
          ...values,
          ...values.slice(1).map((hi, i) => ((values[i] as number) + hi) / 2),
          (values[0] ?? 0) - 1,
          (values[values.length - 1] ?? 0) + 1,
        ];
        let any = false;
        for (const x of candidates) {
          const expected = rangeHolds(
            ast,
            { value: x, text: "" },
            (a, b) => sign(a.value - b.value),
            (a, b) => a.value === b.value,
          );
          assert.equal(run("quantity", first, x), expected, `${source} on ${x}`);
          assert.equal(run("quantity", second, x), expected);
          any ||= expected;
        }
        assert.equal(first.satisfiable, any, `satisfiable of ${source}`);
      }),
    );
  });

  // Pattern ASTs: names over a tiny alphabet that includes every special character.
  type Token = { lit: string } | "*" | "?";
  type List = { negated: boolean; alts: Token[][] };
  const token: fc.Arbitrary<Token> = fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .constantFrom("a", "B", "b", " ", ",", "|", "!", "*", "?", "\\")
        .map((lit) => ({ lit })),
    },
    { weight: 1, arbitrary: fc.constantFrom("*" as const, "?" as const) },
  );
  const list: fc.Arbitrary<List> = fc.record({
    negated: fc.boolean(),
    alts: fc.array(fc.array(token, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 3 }),
  });
  const renderToken = (t: Token): string => (t === "*" || t === "?" ? t : `\\${t.lit}`); // escaping every literal is always allowed
  const renderList = (l: List, sp: () => string): string =>
    `${sp()}${l.negated ? `!${sp()}` : ""}${l.alts.map((alt) => alt.map(renderToken).join("")).join(`${sp()}|${sp()}`)}${sp()}`;

  /** Reference glob matching over single characters, case-insensitive. */
  const globMatches = (alt: readonly Token[], name: string): boolean => {
    const n = name.toLowerCase();
    const go = (i: number, j: number): boolean => {
      if (i === alt.length) return j === n.length;
      const t = alt[i] as Token;
      if (t === "*") return go(i + 1, j) || (j < n.length && go(i, j + 1));
      if (j >= n.length) return false;
      if (t === "?" || t.lit.toLowerCase() === n[j]) return go(i + 1, j + 1);
      return false;
    };
    return go(0, 0);
  };
  const name = fc.string({
    unit: fc.constantFrom("a", "A", "b", " ", ",", "|", "!", "*", "?", "\\"),
    maxLength: 4,
  });

  test("set: compile → print → compile → print is a fixed point and meaning is kept", () => {
    fc.assert(
      fc.property(
        fc.array(list, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        spacePool,
        fc.array(fc.array(name, { maxLength: 5 }), { minLength: 1, maxLength: 6 }),
        (items, trailingComma, pool, facts) => {
          const sp = spacer(pool);
          const source = items.map((l) => renderList(l, sp)).join(",") + (trailingComma ? "," : "");
          const first = mustCompile("set", source);
          const second = mustCompile("set", first.print());
          assert.equal(second.print(), first.print());
          assert.equal(second.satisfiable, first.satisfiable);
          for (const names of facts) {
            const expected = items.every(
              (l) => l.negated !== l.alts.some((alt) => names.some((n) => globMatches(alt, n))),
            );
            assert.equal(
              run("set", first, names),
              expected,
              `${source} on ${JSON.stringify(names)}`,
            );
            assert.equal(run("set", second, names), expected);
            if (expected) assert.ok(first.satisfiable, `${source} matched, so it is satisfiable`);
          }
        },
      ),
    );
  });

  test("string: compile → print → compile → print is a fixed point and meaning is kept", () => {
    fc.assert(
      fc.property(
        list,
        spacePool,
        fc.array(name, { minLength: 1, maxLength: 6 }),
        (l, pool, values) => {
          const source = renderList(l, spacer(pool));
          const first = mustCompile("string", source);
          const second = mustCompile("string", first.print());
          assert.equal(second.print(), first.print());
          for (const value of values) {
            const expected = l.negated !== l.alts.some((alt) => globMatches(alt, value));
            assert.equal(
              run("string", first, value),
              expected,
              `${source} on ${JSON.stringify(value)}`,
            );
            assert.equal(run("string", second, value), expected);
            if (expected) assert.ok(first.satisfiable);
          }
        },
      ),
    );
  });
});
