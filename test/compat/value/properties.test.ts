import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { Fact, LabelType } from "../../../src/compat/label-types.js";
import type { Matcher } from "../../../src/compat/value/index.js";
import { compareVersions, compileValue, prepareFact } from "../../../src/compat/value/index.js";
import type { GlobPart } from "../../../src/compat/value/glob.js";
import { Glob, globIncluded } from "../../../src/compat/value/glob.js";

// ---- generic helpers -------------------------------------------------------------------------

function mustCompile(type: LabelType, value: string): Matcher {
  const r = compileValue(type, value);
  if (!r.ok) assert.fail(`${type} ${JSON.stringify(value)}: ${JSON.stringify(r.issues)}`);
  return r.matcher;
}

function run(type: LabelType, m: Matcher, fact: Fact): boolean {
  const p = prepareFact(type, fact);
  if (p === undefined) assert.fail(`unreadable ${type} fact ${JSON.stringify(fact)}`);
  const fast = m.matches(p);
  assert.equal(m.explain(p).pass, fast, "explain() disagrees with matches()");
  return fast;
}

/** Random whitespace drawn from a pre-generated list, so renderings stay deterministic per run. */
function spacer(pool: readonly string[]): () => string {
  let i = 0;
  return () => pool[i++ % pool.length] ?? "";
}
const spacePool = fc.array(fc.constantFrom("", "", " ", "  ", "\t"), {
  minLength: 64,
  maxLength: 64,
});

const sign = (n: number): number => (n > 0 ? 1 : n < 0 ? -1 : 0);

// ---- versions -----------------------------------------------------------------------------

const parts = fc.array(fc.nat({ max: 6 }), { minLength: 1, maxLength: 4 });

/** A version written the way real systems write it: mixed separators, a distro suffix. */
const versionText = (p: readonly number[]): fc.Arbitrary<string> =>
  fc
    .tuple(
      fc.array(fc.constantFrom(".", "-", "+"), { minLength: p.length, maxLength: p.length }),
      fc.constantFrom("", ".el9.x86_64", "-generic", "+build.1", "-rc1"),
    )
    .map(
      ([seps, suffix]) => p.map((n, i) => (i === 0 ? `${n}` : `${seps[i]}${n}`)).join("") + suffix,
    );

/** Reference order: pad with zeros, then compare lexicographically. */
function referenceCompare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return sign(d);
  }
  return 0;
}

describe("version order is a total preorder", () => {
  test("reflexive, antisymmetric in sign, transitive, and total", () => {
    fc.assert(
      fc.property(parts, parts, parts, (a, b, c) => {
        assert.equal(compareVersions(a, a), 0);
        assert.equal(sign(compareVersions(a, b)) + sign(compareVersions(b, a)), 0);
        if (compareVersions(a, b) <= 0 && compareVersions(b, c) <= 0) {
          assert.ok(compareVersions(a, c) <= 0);
        }
        assert.ok([-1, 0, 1].includes(compareVersions(a, b)));
      }),
    );
  });

  test("agrees with zero-padded lexicographic order, whatever the separators and suffix", () => {
    fc.assert(
      fc.property(
        parts.chain((a) => fc.tuple(fc.constant(a), versionText(a))),
        parts.chain((b) => fc.tuple(fc.constant(b), versionText(b))),
        ([a, at], [b, bt]) => {
          assert.equal(compareVersions(at, bt), referenceCompare(a, b));
        },
      ),
    );
  });

  test("trailing zero components change nothing", () => {
    fc.assert(
      fc.property(parts, fc.nat({ max: 3 }), (a, zeros) => {
        assert.equal(compareVersions(a, [...a, ...Array<number>(zeros).fill(0)]), 0);
      }),
    );
  });
});

const bump = (p: readonly number[]): number[] => [...p.slice(0, -1), (p[p.length - 1] ?? 0) + 1];
const v = (p: readonly number[]): string => p.join(".");

describe("interval and comparator forms are equivalent", () => {
  const pairs: [string, (a: number[], b: number[]) => [string, string]][] = [
    ["[a, b) ≡ >=a, <b", (a, b) => [`[${v(a)}, ${v(b)})`, `>=${v(a)}, <${v(b)}`]],
    ["(a, b] ≡ >a, <=b", (a, b) => [`(${v(a)}, ${v(b)}]`, `>${v(a)}, <=${v(b)}`]],
    ["[a, b] ≡ >=a, <=b", (a, b) => [`[${v(a)},${v(b)}]`, `>=${v(a)},<=${v(b)}`]],
    ["(a, b) ≡ >a, <b", (a, b) => [`(${v(a)}, ${v(b)})`, `>${v(a)}, <${v(b)}`]],
    ["[a,] ≡ >=a", (a) => [`[${v(a)},]`, `>=${v(a)}`]],
    ["(a,) ≡ >a", (a) => [`(${v(a)},)`, `>${v(a)}`]],
    ["(,b) ≡ <b", (_, b) => [`(,${v(b)})`, `<${v(b)}`]],
    ["[,b] ≡ <=b", (_, b) => [`[,${v(b)}]`, `<=${v(b)}`]],
    ["=a ≡ [a, a]", (a) => [`=${v(a)}`, `[${v(a)}, ${v(a)}]`]],
    ["bare a ≡ [a, a with last component + 1)", (a) => [v(a), `>=${v(a)}, <${v(bump(a))}`]],
  ];
  for (const [name, forms] of pairs) {
    test(`version: ${name}`, () => {
      fc.assert(
        fc.property(parts, parts, parts, (a, b, x) => {
          const [left, right] = forms(a, b);
          const l = mustCompile("version", left);
          const r = mustCompile("version", right);
          assert.equal(run("version", l, v(x)), run("version", r, v(x)));
          assert.equal(l.satisfiable, r.satisfiable);
        }),
      );
    });
  }

  test("version: bare a matches exactly the versions whose leading components are a", () => {
    fc.assert(
      fc.property(parts, parts, (a, x) => {
        const prefix = a.every((n, i) => (x[i] ?? 0) === n);
        assert.equal(run("version", mustCompile("version", v(a)), v(x)), prefix);
      }),
    );
  });

  const q = fc.nat({ max: 20 });
  const quantityPairs: [string, (a: number, b: number) => [string, string]][] = [
    ["[a, b) ≡ >=a, <b", (a, b) => [`[${a}, ${b})`, `>=${a}, <${b}`]],
    ["(a, b] ≡ >a, <=b", (a, b) => [`(${a}, ${b}]`, `>${a}, <=${b}`]],
    ["[a,] ≡ >=a", (a) => [`[${a},]`, `>=${a}`]],
    ["(,b) ≡ <b", (_, b) => [`(,${b})`, `<${b}`]],
    ["bare a ≡ =a ≡ [a, a]", (a) => [`${a}`, `[${a}, ${a}]`]],
    ["aKi ≡ a×1024", (a) => [`>=${a}Ki`, `>=${a * 1024}`]],
  ];
  for (const [name, forms] of quantityPairs) {
    test(`quantity: ${name}`, () => {
      fc.assert(
        fc.property(q, q, fc.nat({ max: 44 }), (a, b, halves) => {
          const [left, right] = forms(a, b);
          const l = mustCompile("quantity", left);
          const r = mustCompile("quantity", right);
          const x = name.includes("Ki") ? halves * 512 : halves / 2;
          assert.equal(run("quantity", l, x), run("quantity", r, x));
          assert.equal(l.satisfiable, r.satisfiable);
        }),
      );
    });
  }
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

/** The language's meaning, written directly from the spec rather than from the implementation. */
function rangeHolds<V>(
  ast: Range<V>,
  x: V,
  cmp: (a: V, b: V) => number,
  bare: (v: V, x: V) => boolean,
): boolean {
  const holds = (t: Term<V>): boolean => {
    switch (t.kind) {
      case "compare": {
        const c = cmp(x, t.v);
        return { ">=": c >= 0, ">": c > 0, "<=": c <= 0, "<": c < 0, "=": c === 0, "!=": c !== 0 }[
          t.op
        ];
      }
      case "bare":
        return bare(t.v, x);
      case "interval": {
        const lo = t.lo === null || (t.open === "[" ? cmp(x, t.lo) >= 0 : cmp(x, t.lo) > 0);
        const hi = t.hi === null || (t.close === "]" ? cmp(x, t.hi) <= 0 : cmp(x, t.hi) < 0);
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
  type VersionScalar = { parts: number[]; text: string };
  const versionScalar = parts.chain((p) => versionText(p).map((text) => ({ parts: p, text })));
  const isPrefix = (a: VersionScalar, x: VersionScalar): boolean =>
    a.parts.every((n, i) => (x.parts[i] ?? 0) === n);

  test("version: compile → print → compile → print is a fixed point and meaning is kept", () => {
    fc.assert(
      fc.property(
        rangeArb(versionScalar),
        spacePool,
        fc.array(parts, { maxLength: 8 }),
        (ast, pool, xs) => {
          const source = renderRange(ast, (s) => s.text, spacer(pool));
          const first = mustCompile("version", source);
          const second = mustCompile("version", first.print());
          assert.equal(second.print(), first.print());
          assert.equal(second.satisfiable, first.satisfiable);
          // Candidates that hit every boundary and the gaps beside it; a satisfiable value must
          // admit at least one of them, since versions are dense and exclusions finite.
          const bounds = scalarsOf(ast).flatMap((s) => [s.parts, bump(s.parts)]);
          const depth = Math.max(0, ...bounds.map((b) => b.length)) + 1;
          const deep = (b: number[], last: number): number[] => [
            ...b,
            ...Array<number>(depth - b.length).fill(0),
            last,
          ];
          const candidates = [[0], ...bounds.flatMap((b) => [b, deep(b, 1), deep(b, 2)]), ...xs];
          let any = false;
          for (const c of candidates) {
            const expected = rangeHolds(
              ast,
              { parts: c, text: v(c) },
              (a, b) => referenceCompare(a.parts, b.parts),
              isPrefix,
            );
            assert.equal(run("version", first, v(c)), expected, `${source} on ${v(c)}`);
            assert.equal(run("version", second, v(c)), expected);
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

describe("set matching is case-insensitive", () => {
  const word = fc.string({ unit: fc.constantFrom(..."abcxyz019_."), minLength: 1, maxLength: 5 });
  const flip = (s: string, mask: readonly boolean[]): string =>
    Array.from(s, (ch, i) => (mask[i % Math.max(1, mask.length)] ? ch.toUpperCase() : ch)).join("");

  test("flipping the case of the value or of the node's names never changes the result", () => {
    fc.assert(
      fc.property(
        fc.array(word, { minLength: 1, maxLength: 6 }),
        fc.array(fc.record({ pick: fc.nat(), negated: fc.boolean(), glob: fc.boolean() }), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.array(word, { maxLength: 4 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 7 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 7 }),
        (names, picks, others, maskA, maskB) => {
          const pool = [...names, ...others];
          const value = picks
            .map(({ pick, negated, glob }) => {
              const n = pool[pick % pool.length] as string;
              return `${negated ? "!" : ""}${glob ? `${n.slice(0, 2)}*` : n}`;
            })
            .join(", ");
          const base = run("set", mustCompile("set", value), names);
          const flippedValue = mustCompile("set", flip(value, maskA));
          assert.equal(
            run(
              "set",
              flippedValue,
              names.map((n) => flip(n, maskB)),
            ),
            base,
          );
          assert.equal(
            run(
              "set",
              flippedValue,
              names.map((n) => n.toUpperCase()),
            ),
            base,
          );
        },
      ),
    );
  });
});

describe("glob inclusion decides satisfiability exactly", () => {
  type T = "a" | "b" | "*" | "?";
  const pattern = fc.array(fc.constantFrom<T>("a", "b", "*", "?"), { minLength: 1, maxLength: 3 });
  const toParts = (p: readonly T[]): GlobPart[] =>
    p.map((t) =>
      t === "*" ? { kind: "star" } : t === "?" ? { kind: "one" } : { kind: "text", text: t },
    );
  const matches = (p: readonly T[], s: string): boolean =>
    new RegExp(`^${p.map((t) => (t === "*" ? ".*" : t === "?" ? "." : t)).join("")}$`).test(s);
  const strings: string[] = [""];
  for (let len = 1; len <= 6; len++) {
    for (const prefix of strings.filter((s) => s.length === len - 1)) {
      for (const ch of "abc") strings.push(prefix + ch);
    }
  }

  test("agrees with brute force over every string of up to six characters", () => {
    fc.assert(
      fc.property(pattern, fc.array(pattern, { maxLength: 2 }), (sub, sups) => {
        const brute = strings.every((s) => !matches(sub, s) || sups.some((p) => matches(p, s)));
        assert.equal(globIncluded(toParts(sub), sups.map(toParts)), brute);
      }),
      { numRuns: 500 },
    );
  });
});

describe("glob matching", () => {
  type T = "a" | "b" | "\u{1F600}" | "*" | "?";
  const pattern = fc.array(fc.constantFrom<T>("a", "b", "\u{1F600}", "*", "?"), { maxLength: 6 });
  const subject = fc.string({ unit: fc.constantFrom("a", "b", "\u{1F600}"), maxLength: 8 });

  test("agrees with an anchored RegExp where ? is one code point", () => {
    fc.assert(
      fc.property(pattern, subject, (p, s) => {
        const parts: GlobPart[] = p.map((t) =>
          t === "*" ? { kind: "star" } : t === "?" ? { kind: "one" } : { kind: "text", text: t },
        );
        const body = p.map((t) => (t === "*" ? ".*" : t === "?" ? "." : t)).join("");
        assert.equal(new Glob(parts).test(s), new RegExp(`^${body}$`, "su").test(s));
      }),
      { numRuns: 2000 },
    );
  });
});
