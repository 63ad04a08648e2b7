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

/** A version as the docs describe it: release numbers and an optional pre-release. */
interface VersionModel {
  release: number[];
  /** rank 0 alpha, 1 beta, 2 pre, 3 rc. */
  pre?: { rank: number; n: number[] };
}

const TAG_SPELLINGS: readonly (readonly string[])[] = [
  ["alpha", "a", "ALPHA"],
  ["beta", "b", "Beta"],
  ["pre", "PRE"],
  ["rc", "RC"],
];

const versionModel: fc.Arbitrary<VersionModel> = fc.record(
  {
    release: parts,
    pre: fc.record({
      rank: fc.nat({ max: 3 }),
      n: fc.array(fc.nat({ max: 3 }), { maxLength: 2 }),
    }),
  },
  { requiredKeys: ["release"] },
);

/** Reference order, from the docs: releases zero-padded, then a pre-release below none. */
function referenceCompare(a: VersionModel, b: VersionModel): number {
  const padded = (x: readonly number[], y: readonly number[]): number => {
    for (let i = 0; i < Math.max(x.length, y.length); i++) {
      const d = (x[i] ?? 0) - (y[i] ?? 0);
      if (d !== 0) return sign(d);
    }
    return 0;
  };
  const release = padded(a.release, b.release);
  if (release !== 0) return release;
  if (a.pre === undefined || b.pre === undefined) {
    return a.pre === b.pre ? 0 : a.pre === undefined ? 1 : -1;
  }
  return sign(a.pre.rank - b.pre.rank) || padded(a.pre.n, b.pre.n);
}

/** A version in a value's strict grammar: mixed separators and tag spellings. */
const valueText = (m: VersionModel): fc.Arbitrary<string> =>
  fc
    .tuple(
      fc.array(fc.constantFrom(".", "-", "+"), { minLength: 8, maxLength: 8 }),
      fc.constantFrom("-", ".", "~", ""),
      fc.nat({ max: 2 }),
      fc.boolean(),
    )
    .map(([seps, preSep, spelling, glue]) => {
      let text = m.release.map((n, i) => (i === 0 ? `${n}` : `${seps[i]}${n}`)).join("");
      if (m.pre !== undefined) {
        const names = TAG_SPELLINGS[m.pre.rank] as readonly string[];
        let tag = names[spelling % names.length] as string;
        // A one-letter tag needs its number, and must not be glued to a one-letter neighbour.
        if (tag.length === 1 && (m.pre.n.length === 0 || !glue)) tag = names[0] as string;
        const [first, ...rest] = m.pre.n;
        const number =
          first === undefined ? "" : glue || tag.length === 1 ? `${first}` : `.${first}`;
        text += `${preSep}${tag}${number}${rest.map((n, i) => `${seps[7 - i]}${n}`).join("")}`;
      }
      return text;
    });

/** A node's version: a value's text plus, sometimes, a distribution suffix. */
const factText = (m: VersionModel): fc.Arbitrary<string> =>
  fc
    .tuple(valueText(m), fc.constantFrom("", ".el9.x86_64", "-generic", "+build.1", "-v8+"))
    .map(([text, suffix]) => text + suffix);

/** The plain text of a model, for facts built by the tests. */
function modelText(m: VersionModel): string {
  const release = m.release.join(".");
  if (m.pre === undefined) return release;
  const [first, ...rest] = m.pre.n;
  const tag = (TAG_SPELLINGS[m.pre.rank] as readonly string[])[0] as string;
  return `${release}-${tag}${first ?? ""}${rest.map((n) => `.${n}`).join("")}`;
}

const versionWithText = (text: (m: VersionModel) => fc.Arbitrary<string>) =>
  versionModel.chain((m) => text(m).map((t) => ({ model: m, text: t })));

describe("version order is a total preorder", () => {
  test("reflexive, antisymmetric in sign, transitive, and total", () => {
    fc.assert(
      fc.property(
        versionWithText(valueText),
        versionWithText(valueText),
        versionWithText(valueText),
        (a, b, c) => {
          assert.equal(compareVersions(a.text, a.text), 0);
          const ab = compareVersions(a.text, b.text);
          assert.equal(sign(ab) + sign(compareVersions(b.text, a.text)), 0);
          if (ab <= 0 && compareVersions(b.text, c.text) <= 0) {
            assert.ok(compareVersions(a.text, c.text) <= 0);
          }
          assert.ok([-1, 0, 1].includes(ab));
        },
      ),
    );
  });

  test("agrees with the documented order, whatever the separators, tag spelling and suffix", () => {
    fc.assert(
      fc.property(versionWithText(factText), versionWithText(factText), (a, b) => {
        assert.equal(
          compareVersions(a.text, b.text),
          referenceCompare(a.model, b.model),
          `${a.text} vs ${b.text}`,
        );
      }),
    );
  });

  test("trailing zero components change nothing, nor do zeros before a tag", () => {
    fc.assert(
      fc.property(versionModel, fc.nat({ max: 3 }), (m, zeros) => {
        const padded = { ...m, release: [...m.release, ...Array<number>(zeros).fill(0)] };
        assert.equal(compareVersions(modelText(m), modelText(padded)), 0);
      }),
    );
  });
});

/** The versions a value's short version stands for (docs: "Short versions"), from the spec. */
function inSpan(s: VersionModel, x: VersionModel): boolean {
  const startsWith = (x: readonly number[], s: readonly number[]): boolean =>
    s.every((n, i) => (x[i] ?? 0) === n);
  if (referenceCompare(x, s) < 0) return false;
  if (s.pre === undefined) return startsWith(x.release, s.release);
  return (
    referenceCompare({ release: x.release }, { release: s.release }) === 0 &&
    x.pre?.rank === s.pre.rank &&
    startsWith(x.pre.n, s.pre.n)
  );
}

describe("interval and comparator forms are equivalent", () => {
  const pairs: [string, (a: string, b: string) => [string, string]][] = [
    ["[a, b) ≡ >=a, <b", (a, b) => [`[${a}, ${b})`, `>=${a}, <${b}`]],
    ["(a, b] ≡ >a, <=b", (a, b) => [`(${a}, ${b}]`, `>${a}, <=${b}`]],
    ["[a, b] ≡ >=a, <=b", (a, b) => [`[${a},${b}]`, `>=${a},<=${b}`]],
    ["(a, b) ≡ >a, <b", (a, b) => [`(${a}, ${b})`, `>${a}, <${b}`]],
    ["[a,] ≡ >=a", (a) => [`[${a},]`, `>=${a}`]],
    ["(a,) ≡ >a", (a) => [`(${a},)`, `>${a}`]],
    ["(,b) ≡ <b", (_, b) => [`(,${b})`, `<${b}`]],
    ["[,b] ≡ <=b", (_, b) => [`[,${b}]`, `<=${b}`]],
    ["=a ≡ [a, a]", (a) => [`=${a}`, `[${a}, ${a}]`]],
    ["bare a ≡ =a", (a) => [a, `=${a}`]],
    ["!=a ≡ <a || >a", (a) => [`!=${a}`, `<${a} || >${a}`]],
    ["<=a ≡ <a || a", (a) => [`<=${a}`, `<${a} || ${a}`]],
    [">=a ≡ a || >a", (a) => [`>=${a}`, `${a} || >${a}`]],
  ];
  for (const [name, forms] of pairs) {
    test(`version: ${name}`, () => {
      fc.assert(
        fc.property(
          versionWithText(valueText),
          versionWithText(valueText),
          versionWithText(factText),
          (a, b, x) => {
            const [left, right] = forms(a.text, b.text);
            const l = mustCompile("version", left);
            const r = mustCompile("version", right);
            assert.equal(run("version", l, x.text), run("version", r, x.text));
            assert.equal(l.satisfiable, r.satisfiable);
          },
        ),
      );
    });
  }

  test("version: <a, a and >a split every version into three", () => {
    fc.assert(
      fc.property(versionWithText(valueText), versionWithText(factText), (a, x) => {
        const held = [`<${a.text}`, a.text, `>${a.text}`].filter((v) =>
          run("version", mustCompile("version", v), x.text),
        );
        assert.equal(held.length, 1, `${x.text} against ${a.text}: ${held.join(" ")}`);
      }),
    );
  });

  test("version: bare a matches the versions that start with a, except a's own pre-releases", () => {
    fc.assert(
      fc.property(versionWithText(valueText), versionWithText(factText), (a, x) => {
        assert.equal(
          run("version", mustCompile("version", a.text), x.text),
          inSpan(a.model, x.model),
          `${a.text} on ${x.text}`,
        );
      }),
    );
  });

  test("version: a trailing wildcard changes nothing", () => {
    fc.assert(
      fc.property(
        parts,
        fc.constantFrom(".*", ".x", ".X", ".*.*"),
        fc.constantFrom("", ">", "<=", "!="),
        versionWithText(factText),
        (a, wildcard, op, x) => {
          const plain = mustCompile("version", `${op}${a.join(".")}`);
          const starred = mustCompile("version", `${op}${a.join(".")}${wildcard}`);
          assert.equal(run("version", plain, x.text), run("version", starred, x.text));
        },
      ),
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
